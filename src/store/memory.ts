/**
 * The in-memory Store: tests, the demo and the fallback when nothing durable is configured. Runtime-neutral.
 * Every record is copied on the way in and out, so no caller can change stored state by mutating an object.
 */
import type { ClusterRecord } from './clusters.ts';
import {
  anyOf,
  checkAudit,
  checkCluster,
  checkConfirmation,
  checkOperation,
  hasMachine,
  listLimit,
  pageBounds,
} from './shared.ts';
import {
  type AuditFilter,
  type AuditRecord,
  type Confirmation,
  FINAL_STATES,
  type NewAuditRecord,
  type Operation,
  type OperationFilter,
  type Store,
  type ValueKey,
} from './types.ts';

interface StoredOperation {
  /** Insertion order: breaks ties between operations created in the same millisecond. */
  seq: number;
  op: Operation;
  /** Until when the delivery of its completion notice is leased (see Store.claimNotice). */
  noticeLease?: number | undefined;
}

const oldestFirst = (a: StoredOperation, b: StoredOperation) =>
  a.op.created_at - b.op.created_at || a.seq - b.seq;
const newestFirst = (a: StoredOperation, b: StoredOperation) => oldestFirst(b, a);

/** A {@link Store} held in memory; lost when the process ends. */
export class MemoryStore implements Store {
  private readonly now: () => number;
  private readonly operations = new Map<string, StoredOperation>();
  private readonly confirmations = new Map<string, Confirmation>();
  private readonly audit: AuditRecord[] = [];
  private readonly kv = new Map<string, { value: string; expiresAt: number | undefined }>();
  private readonly clusters = new Map<string, ClusterRecord>();
  private seq = 0;
  private closed = false;

  constructor(opts: { now?: () => number } = {}) {
    this.now = opts.now ?? (() => Date.now());
  }

  async createOperation(op: Operation): Promise<void> {
    this.open();
    const valid = checkOperation(op);
    if (this.operations.has(valid.id))
      throw new Error(`store: operation ${JSON.stringify(valid.id)} already exists`);
    this.operations.set(valid.id, { seq: ++this.seq, op: structuredClone(valid) });
  }

  async getOperation(id: string): Promise<Operation | undefined> {
    this.open();
    const s = this.operations.get(id);
    return s && structuredClone(s.op);
  }

  async updateOperation(op: Operation): Promise<Operation | undefined> {
    this.open();
    const valid = checkOperation(op);
    const s = this.operations.get(valid.id);
    if (!s || s.op.version !== valid.version) return undefined;
    // A claimed notice stays claimed even if the caller's copy predates the claim: it must never go out twice.
    s.op = structuredClone({
      ...valid,
      version: valid.version + 1,
      notice_sent_at: s.op.notice_sent_at ?? valid.notice_sent_at,
    });
    return structuredClone(s.op);
  }

  async listOperations(filter: OperationFilter = {}): Promise<Operation[]> {
    this.open();
    const states = anyOf(filter.state);
    const kinds = anyOf(filter.kind);
    const { machine, principal } = filter;
    const { limit, offset } = pageBounds(filter);
    return [...this.operations.values()]
      .filter(
        ({ op }) =>
          (!states || states.includes(op.state)) &&
          (!kinds || kinds.includes(op.kind)) &&
          (machine === undefined || hasMachine(op.targets, machine)) &&
          (principal === undefined || op.requester.principal === principal),
      )
      .sort(newestFirst)
      .slice(offset, offset + limit)
      .map((s) => structuredClone(s.op));
  }

  async runningOperations(): Promise<Operation[]> {
    this.open();
    return this.sortedOps((op) => op.state === 'running');
  }

  async claimNotice(id: string, at: number, leaseUntil: number): Promise<boolean> {
    this.open();
    const s = this.operations.get(id);
    if (!s || s.op.notice_sent_at !== null) return false;
    if (s.noticeLease !== undefined && s.noticeLease > at) return false;
    s.noticeLease = leaseUntil;
    return true;
  }

  async settleNotice(id: string, outcome: { sentAt: number } | { retryAt: number }): Promise<void> {
    this.open();
    const s = this.operations.get(id);
    if (!s || s.op.notice_sent_at !== null) return;
    if ('sentAt' in outcome) {
      s.op.notice_sent_at = outcome.sentAt;
      s.noticeLease = undefined;
    } else {
      s.noticeLease = outcome.retryAt;
    }
  }

  async unnoticedOperations(now: number): Promise<Operation[]> {
    this.open();
    return this.sortedOps(
      (op, lease) =>
        FINAL_STATES.has(op.state) && op.notice_sent_at === null && (lease === undefined || lease <= now),
    );
  }

  async nextNoticeAt(): Promise<number | undefined> {
    this.open();
    const leases = [...this.operations.values()]
      .filter((s) => FINAL_STATES.has(s.op.state) && s.op.notice_sent_at === null)
      .flatMap((s) => (s.noticeLease === undefined ? [] : [s.noticeLease]));
    return leases.length ? Math.min(...leases) : undefined;
  }

  async putConfirmation(c: Confirmation): Promise<void> {
    this.open();
    const valid = checkConfirmation(c);
    // Replacing a confirmation could reset `used_at` and let a token be replayed.
    if (this.confirmations.has(valid.token_hash)) throw new Error('store: confirmation already exists');
    this.confirmations.set(valid.token_hash, structuredClone(valid));
  }

  async getConfirmation(tokenHash: string): Promise<Confirmation | undefined> {
    this.open();
    const c = this.confirmations.get(tokenHash);
    return c && structuredClone(c);
  }

  async useConfirmation(tokenHash: string, at: number): Promise<boolean> {
    this.open();
    const c = this.confirmations.get(tokenHash);
    if (!c || c.used_at !== null) return false;
    c.used_at = at;
    return true;
  }

  async purgeConfirmations(before: number): Promise<number> {
    this.open();
    let n = 0;
    for (const [hash, c] of this.confirmations) {
      if (c.expires_at < before) {
        this.confirmations.delete(hash);
        n++;
      }
    }
    return n;
  }

  async appendAudit(rec: NewAuditRecord): Promise<number> {
    this.open();
    const valid = checkAudit(rec);
    const id = this.audit.length + 1;
    this.audit.push(structuredClone({ ...valid, id }));
    return id;
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    this.open();
    const { since, principal, machine, tool } = filter;
    const { limit, offset } = pageBounds(filter);
    return this.audit
      .filter(
        (r) =>
          (since === undefined || r.at >= since) &&
          (principal === undefined || r.principal === principal) &&
          (tool === undefined || r.tool === tool) &&
          (machine === undefined || hasMachine(r.targets, machine)),
      )
      .sort((a, b) => b.at - a.at || b.id - a.id)
      .slice(offset, offset + limit)
      .map((r) => structuredClone(r));
  }

  async createCluster(c: ClusterRecord): Promise<void> {
    this.open();
    const valid = checkCluster(c);
    if (this.clusters.has(valid.name))
      throw new Error(`store: cluster ${JSON.stringify(valid.name)} already exists`);
    this.clusters.set(valid.name, structuredClone(valid));
  }

  async getCluster(name: string): Promise<ClusterRecord | undefined> {
    this.open();
    const c = this.clusters.get(name);
    return c && structuredClone(c);
  }

  async updateCluster(c: ClusterRecord): Promise<ClusterRecord | undefined> {
    this.open();
    const valid = checkCluster(c);
    const stored = this.clusters.get(valid.name);
    if (!stored || stored.version !== valid.version) return undefined;
    const next = structuredClone({ ...valid, version: valid.version + 1 });
    this.clusters.set(valid.name, next);
    return structuredClone(next);
  }

  async listClusters(): Promise<ClusterRecord[]> {
    this.open();
    return [...this.clusters.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((c) => structuredClone(c));
  }

  async deleteCluster(name: string, version: number): Promise<boolean> {
    this.open();
    const stored = this.clusters.get(name);
    if (!stored || stored.version !== version) return false;
    this.clusters.delete(name);
    return true;
  }

  async getValue(key: string): Promise<string | undefined> {
    this.open();
    const e = this.kv.get(key);
    if (!e) return undefined;
    if (e.expiresAt !== undefined && this.now() >= e.expiresAt) {
      this.kv.delete(key);
      return undefined;
    }
    return e.value;
  }

  async setValue(key: string, value: string, expiresAt?: number): Promise<void> {
    this.open();
    this.kv.set(key, { value, expiresAt });
  }

  async addValue(key: string, value: string, expiresAt: number): Promise<boolean> {
    this.open();
    const now = this.now();
    for (const [k, e] of this.kv) if (e.expiresAt !== undefined && e.expiresAt <= now) this.kv.delete(k);
    if (this.kv.has(key)) return false;
    this.kv.set(key, { value, expiresAt });
    return true;
  }

  async deleteValue(key: string): Promise<void> {
    this.open();
    this.kv.delete(key);
  }

  async listValues(prefix: string, opts: { after?: string; limit?: number } = {}): Promise<ValueKey[]> {
    this.open();
    const now = this.now();
    const limit = listLimit(opts.limit);
    return [...this.kv]
      .filter(
        ([k, e]) =>
          k.startsWith(prefix) &&
          (opts.after === undefined || k > opts.after) &&
          (e.expiresAt === undefined || now < e.expiresAt),
      )
      .map(([key, e]) => ({ key, expiresAt: e.expiresAt }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, limit);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private sortedOps(keep: (op: Operation, noticeLease: number | undefined) => boolean): Operation[] {
    return [...this.operations.values()]
      .filter((s) => keep(s.op, s.noticeLease))
      .sort(oldestFirst)
      .map((s) => structuredClone(s.op));
  }

  /** Use after close is a bug in the caller's shutdown order; fail loudly, as the SQLite store does. */
  private open(): void {
    if (this.closed) throw new Error('store: the store is closed');
  }
}
