/**
 * Hooks the database layer calls so that metrics can be collected without this layer
 * knowing about Prometheus. Every method is optional to implement (use NO_OP_OBSERVER).
 */
export type TransactionOutcome = 'committed' | 'rolled_back';

/**
 * What the repositories count as written, per entity kind. A closed set: a metric label must
 * never be a type name, id or anything else a client chose.
 */
export const WRITTEN_ENTITY_KINDS = [
  'artifact',
  'execution',
  'context',
  'event',
  'attribution',
  'association',
  'parent_context',
  'type',
] as const;
export type WrittenEntityKind = (typeof WRITTEN_ENTITY_KINDS)[number];

/** Why a unit of work ran again: a conflict the database reported, or a creation race the store lost. */
export type RetryReason = 'deadlock' | 'lock_timeout' | 'serialization' | 'busy' | 'lost_race';

export interface DatabaseObserver {
  /** One transaction attempt ended (a retried unit reports each attempt). */
  transactionFinished(outcome: TransactionOutcome, seconds: number): void;
  /**
   * Rows a committed transaction wrote, per kind (see Tx.recordRowsWritten); called after
   * the commit only, once per kind, so rolled-back attempts and retries never count.
   */
  rowsWritten(kind: WrittenEntityKind, rows: number): void;
  /** A transaction failed with a transient conflict and will run again. */
  transactionRetried(reason: RetryReason): void;
  /** One SQL statement finished; `operation` is its first keyword (select, insert, ...). */
  queryFinished(operation: string, seconds: number, failed: boolean): void;
}

export const NO_OP_OBSERVER: DatabaseObserver = {
  transactionFinished: () => {},
  transactionRetried: () => {},
  rowsWritten: () => {},
  queryFinished: () => {},
};
