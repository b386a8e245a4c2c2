/**
 * The fleet as the status page shows it: one streamed read of `GET /machines/` kept a short while and shared by
 * every page load and event stream of this process (MAAS has no pagination, and 10,000 machines are a large
 * answer), patched in between from what the poller already reads for running operations.
 */
import type { Deps } from '../core/deps.ts';
import { isNodeStatus, type SimpleStatus, simpleStatus, statusLabel } from '../maas/status.ts';
import type { OperationTarget } from '../store/types.ts';

/** One machine, as small as the page needs it. */
export interface FleetMachine {
  id: string;
  hostname: string;
  status: number;
  label: string;
  zone: string;
  pool: string;
  /** MAAS's reason when it failed (error_description, else status_message); its status message otherwise. */
  message: string;
  /** {@link FleetView.version} at its last change. */
  changed: number;
}

export interface FleetSnapshot {
  /** When MAAS was read. */
  readAt: number;
  machines: readonly FleetMachine[];
  byId: ReadonlyMap<string, FleetMachine>;
}

/** The colour family of a status on the page: failures, work in progress, and the resting states. */
export type Tone = SimpleStatus | 'busy';

export function toneOf(status: number): Tone {
  if (!isNodeStatus(status)) return 'other';
  const s = simpleStatus(status);
  switch (s) {
    case 'commissioning':
    case 'deploying':
    case 'releasing':
    case 'testing':
      return 'busy';
    default:
      return s;
  }
}

export interface FleetViewOptions {
  /** How long a read of MAAS is served before the next one (while someone looks). */
  maxAgeMs?: number;
}

/** The fleet, read at most once per `maxAgeMs` however many people look; stale reads are refreshed behind. */
export class FleetView {
  private snapshot: FleetSnapshot | undefined;
  private reading: Promise<FleetSnapshot> | undefined;
  /** Grows with every change seen: an event stream sends only the machines changed since the version it sent. */
  version = 0;
  private readonly maxAgeMs: number;

  constructor(
    private readonly deps: Deps,
    opts: FleetViewOptions = {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 15_000;
  }

  /** The fleet: the last read while it is fresh; a stale one is served while a new read runs. */
  async get(): Promise<FleetSnapshot> {
    const s = this.snapshot;
    if (!s) return this.read();
    if (this.deps.clock.now() - s.readAt >= this.maxAgeMs) this.read().catch(() => undefined);
    return s;
  }

  private read(): Promise<FleetSnapshot> {
    this.reading ??= this.load().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async load(): Promise<FleetSnapshot> {
    const readAt = this.deps.clock.now();
    const version = ++this.version;
    const old = this.snapshot?.byId;
    const machines: FleetMachine[] = [];
    await this.deps.maas.forEachMachine({}, (m) => {
      const tone = toneOf(m.status);
      const failed = tone === 'failed' || tone === 'broken';
      const said = (failed && m.error_description) || m.status_message || '';
      // "Ready (Ready)" says nothing more: MAAS's message is kept only when it adds something.
      const message = said === m.status_name ? '' : said;
      const before = old?.get(m.system_id);
      const same = before && before.status === m.status && before.message === message;
      machines.push({
        id: m.system_id,
        hostname: m.hostname,
        status: m.status,
        label: m.status_name || statusLabel(m.status),
        zone: m.zone?.name ?? '(no zone)',
        pool: m.pool?.name ?? '(no pool)',
        message,
        changed: same ? before.changed : version,
      });
    });
    machines.sort((a, b) => a.hostname.localeCompare(b.hostname));
    this.snapshot = { readAt, machines, byId: new Map(machines.map((m) => [m.id, m])) };
    return this.snapshot;
  }

  /**
   * Takes in what the poller saw of operations' machines: a change it saw after the fleet was read is newer than
   * the read, anything else is not.
   */
  absorb(targets: readonly OperationTarget[]): void {
    const s = this.snapshot;
    if (!s) return;
    let version: number | undefined;
    for (const t of targets) {
      const m = s.byId.get(t.system_id) as FleetMachine | undefined;
      const seenAt = t.history.at(-1)?.at ?? 0;
      if (!m || seenAt < s.readAt || (m.status === t.status_code && m.label === t.status)) continue;
      version ??= ++this.version;
      m.status = t.status_code;
      m.label = t.status;
      const said = (t.result === 'failed' && t.error) || t.status_message;
      m.message = said === t.status ? '' : said;
      m.changed = version;
    }
  }
}
