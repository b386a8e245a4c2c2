/**
 * The Store as a Worker request sees it: every call forwarded over JS RPC to the Durable Object, where the
 * SQLite database lives and where calls run one at a time. Records cross by structured clone, so callers get
 * copies, as from every other Store.
 */
import type {
  AuditFilter,
  AuditRecord,
  Confirmation,
  NewAuditRecord,
  Operation,
  OperationFilter,
  Store,
} from '../store/types.ts';
import type { StoreRpc } from './object.ts';

/** A {@link Store} that forwards every call to the Durable Object's {@link StoreRpc} methods. */
export class DurableStoreProxy implements Store {
  // Typed by the methods it calls: the RPC stub's own type wraps every result in Rpc.Result, which adds
  // nothing for plain records.
  constructor(private readonly object: StoreRpc) {}

  createOperation(op: Operation): Promise<void> {
    return this.object.createOperation(op);
  }
  getOperation(id: string): Promise<Operation | undefined> {
    return this.object.getOperation(id);
  }
  updateOperation(op: Operation): Promise<Operation | undefined> {
    return this.object.updateOperation(op);
  }
  listOperations(filter?: OperationFilter): Promise<Operation[]> {
    return this.object.listOperations(filter);
  }
  runningOperations(): Promise<Operation[]> {
    return this.object.runningOperations();
  }
  claimNotice(id: string, at: number): Promise<boolean> {
    return this.object.claimNotice(id, at);
  }
  unnoticedOperations(): Promise<Operation[]> {
    return this.object.unnoticedOperations();
  }
  putConfirmation(c: Confirmation): Promise<void> {
    return this.object.putConfirmation(c);
  }
  getConfirmation(tokenHash: string): Promise<Confirmation | undefined> {
    return this.object.getConfirmation(tokenHash);
  }
  useConfirmation(tokenHash: string, at: number): Promise<boolean> {
    return this.object.useConfirmation(tokenHash, at);
  }
  purgeConfirmations(before: number): Promise<number> {
    return this.object.purgeConfirmations(before);
  }
  appendAudit(rec: NewAuditRecord): Promise<number> {
    return this.object.appendAudit(rec);
  }
  listAudit(filter?: AuditFilter): Promise<AuditRecord[]> {
    return this.object.listAudit(filter);
  }
  getValue(key: string): Promise<string | undefined> {
    return this.object.getValue(key);
  }
  setValue(key: string, value: string, expiresAt?: number): Promise<void> {
    return this.object.setValue(key, value, expiresAt);
  }
  deleteValue(key: string): Promise<void> {
    return this.object.deleteValue(key);
  }
  /** The database belongs to the Durable Object; a request has nothing to close. */
  async close(): Promise<void> {}
}
