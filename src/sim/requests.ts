/** A bounded record of every request the simulator answered, for tests that assert on traffic. */

export interface SimRequestEntry {
  method: string;
  /** Path without the query string. */
  path: string;
  query: [string, string][];
  /** Form body pairs for POST/PUT. */
  form: [string, string][];
  status: number;
  authorization: string | null;
}

export interface SimRequestLog {
  /** The last 10,000 requests, oldest first. */
  readonly entries: ReadonlyArray<SimRequestEntry>;
  count(filter?: { method?: string; pathPrefix?: string; op?: string }): number;
  clear(): void;
}

export const REQUEST_LOG_SIZE = 10_000;

export class RequestLog implements SimRequestLog {
  private ring: SimRequestEntry[] = [];
  private start = 0;

  get entries(): ReadonlyArray<SimRequestEntry> {
    return this.start === 0 ? this.ring : [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
  }

  add(entry: SimRequestEntry): void {
    if (this.ring.length < REQUEST_LOG_SIZE) {
      this.ring.push(entry);
      return;
    }
    this.ring[this.start] = entry;
    this.start = (this.start + 1) % REQUEST_LOG_SIZE;
  }

  count(filter: { method?: string; pathPrefix?: string; op?: string } = {}): number {
    let n = 0;
    for (const e of this.ring) {
      if (filter.method && e.method !== filter.method.toUpperCase()) continue;
      if (filter.pathPrefix && !e.path.startsWith(filter.pathPrefix)) continue;
      if (filter.op !== undefined && opOf(e) !== filter.op) continue;
      n++;
    }
    return n;
  }

  clear(): void {
    this.ring = [];
    this.start = 0;
  }
}

function opOf(e: SimRequestEntry): string | undefined {
  return e.query.find(([k]) => k === 'op')?.[1] || e.form.find(([k]) => k === 'op')?.[1] || undefined;
}
