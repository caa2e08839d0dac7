import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DatabaseObserver, RetryReason, TransactionOutcome, WrittenEntityKind } from '../database/observer';

/** Where committed row counts end up (the rows-written counter of MlmdMetrics). */
export interface RowsWrittenSink {
  rowsWritten(kind: WrittenEntityKind, rows: number): void;
}

const QUERY_OPERATIONS = ['select', 'insert', 'update', 'delete', 'other'] as const;
type QueryOperation = (typeof QUERY_OPERATIONS)[number];
const OUTCOMES: readonly TransactionOutcome[] = ['committed', 'rolled_back'];
const RETRY_REASONS: readonly RetryReason[] = ['deadlock', 'lock_timeout', 'serialization', 'busy', 'lost_race'];

/** Statements are mostly sub-millisecond on SQLite and a few ms on a networked server. */
const QUERY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const TRANSACTION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * What the pool gauges read. Knex's pool is a tarn.js Pool, which has exactly these; the
 * pool does not exist until Knex initialises it, hence `undefined`.
 */
export interface PoolStats {
  max: number;
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}
export type PoolStatsSource = () => PoolStats | undefined;

/** The tarn pool behind a Knex instance (`knex.client.pool`), read at scrape time. */
export function knexPoolStats(knex: { client: unknown }): PoolStatsSource {
  return () => (knex.client as { pool?: PoolStats } | undefined)?.pool ?? undefined;
}

/**
 * Database metrics, fed by the database layer through the DatabaseObserver hooks and by the
 * pool at scrape time. Every label value comes from a closed set.
 */
export class DatabaseMetrics implements DatabaseObserver {
  private readonly queryDuration: Histogram<'operation'>;
  private readonly queryErrors: Counter<'operation'>;
  private readonly transactions: Counter<'outcome'>;
  private readonly transactionDuration: Histogram<'outcome'>;
  private readonly retries: Counter<'reason'>;
  private pool: PoolStatsSource = () => undefined;
  private writeTurns: { readonly waiting: number } | undefined;

  constructor(
    registry: Registry,
    prefix: string,
    private readonly rows: RowsWrittenSink = { rowsWritten: () => {} },
  ) {
    const registers = [registry];
    this.queryDuration = new Histogram({
      name: `${prefix}db_query_duration_seconds`,
      help: 'Time of one SQL statement, by its kind.',
      labelNames: ['operation'],
      buckets: QUERY_BUCKETS,
      registers,
    });
    this.queryErrors = new Counter({
      name: `${prefix}db_query_errors_total`,
      help: 'SQL statements that failed, by kind.',
      labelNames: ['operation'],
      registers,
    });
    this.transactions = new Counter({
      name: `${prefix}db_transactions_total`,
      help: 'Transaction attempts by outcome; a retried attempt counts once as rolled_back.',
      labelNames: ['outcome'],
      registers,
    });
    this.transactionDuration = new Histogram({
      name: `${prefix}db_transaction_duration_seconds`,
      help: 'Time of one transaction attempt, by outcome.',
      labelNames: ['outcome'],
      buckets: TRANSACTION_BUCKETS,
      registers,
    });
    this.retries = new Counter({
      name: `${prefix}db_transaction_retries_total`,
      help: 'Transactions re-run after a transient conflict; deadlocks, lock-wait timeouts, serialization failures, SQLite busy and lost creation races are counted apart.',
      labelNames: ['reason'],
      registers,
    });
    for (const operation of QUERY_OPERATIONS) {
      this.queryDuration.zero({ operation });
      this.queryErrors.inc({ operation }, 0);
    }
    for (const outcome of OUTCOMES) {
      this.transactions.inc({ outcome }, 0);
      this.transactionDuration.zero({ outcome });
    }
    for (const reason of RETRY_REASONS) this.retries.inc({ reason }, 0);

    const readPool = () => this.pool();
    const writeTurnsWaiting = () => this.writeTurns?.waiting ?? 0;
    const poolGauge = (name: string, help: string, read: (pool: PoolStats) => number) =>
      new Gauge({
        name: `${prefix}db_pool_${name}`,
        help,
        registers,
        // prom-client calls collect with the gauge as `this`, at every scrape.
        collect(this: Gauge) {
          const pool = readPool();
          this.set(pool ? read(pool) : 0);
        },
      });
    poolGauge('max_connections', 'Largest number of connections the pool may open.', (p) => p.max);
    poolGauge('connections', 'Connections currently open (in use + idle).', (p) => p.numUsed() + p.numFree());
    poolGauge('connections_in_use', 'Connections lent to a transaction or query.', (p) => p.numUsed());
    poolGauge(
      'pending_acquires',
      'Requests waiting for a connection; persistently above zero means the pool is too small.',
      (p) => p.numPendingAcquires(),
    );
    poolGauge('pending_creates', 'Connections being opened.', (p) => p.numPendingCreates());
    new Gauge({
      name: `${prefix}db_write_turns_waiting`,
      help: "SQLite: write calls waiting for their turn at the file's one write lock (calls queue here, not for a connection); always 0 elsewhere.",
      registers,
      collect: function (this: Gauge) {
        this.set(writeTurnsWaiting());
      },
    });
  }

  /** Points the pool gauges at the pool of the database just opened. */
  observePool(source: PoolStatsSource): void {
    this.pool = source;
  }

  /** Points the write-turn gauge at the SQLite database's queue of writers (Database.writeTurns). */
  observeWriteTurns(turns: { readonly waiting: number } | undefined): void {
    this.writeTurns = turns;
  }

  queryFinished(operation: string, seconds: number, failed: boolean): void {
    const op = normalizeOperation(operation);
    this.queryDuration.observe({ operation: op }, seconds);
    if (failed) this.queryErrors.inc({ operation: op });
  }

  transactionFinished(outcome: TransactionOutcome, seconds: number): void {
    this.transactions.inc({ outcome });
    this.transactionDuration.observe({ outcome }, seconds);
  }

  rowsWritten(kind: WrittenEntityKind, rows: number): void {
    this.rows.rowsWritten(kind, rows);
  }

  transactionRetried(reason: RetryReason): void {
    this.retries.inc({ reason: RETRY_REASONS.includes(reason) ? reason : 'deadlock' });
  }
}

/** Only the five fixed operation names may become label values. */
function normalizeOperation(operation: string): QueryOperation {
  const op = operation.toLowerCase();
  return (QUERY_OPERATIONS as readonly string[]).includes(op) ? (op as QueryOperation) : 'other';
}
