/**
 * Hooks the database layer calls so that metrics can be collected without this layer
 * knowing about Prometheus. Every method is optional to implement (use NO_OP_OBSERVER).
 */
export type TransactionOutcome = 'committed' | 'rolled_back';
export type RetryReason = 'deadlock' | 'lock_timeout' | 'serialization' | 'busy';

export interface DatabaseObserver {
  /** A transaction ended; `attempts` counts the retries that preceded this outcome + 1. */
  transactionFinished(outcome: TransactionOutcome, seconds: number): void;
  /** A transaction failed with a transient conflict and will run again. */
  transactionRetried(reason: RetryReason): void;
  /** One SQL statement finished; `operation` is its first keyword (select, insert, ...). */
  queryFinished(operation: string, seconds: number, failed: boolean): void;
}

export const NO_OP_OBSERVER: DatabaseObserver = {
  transactionFinished: () => {},
  transactionRetried: () => {},
  queryFinished: () => {},
};
