import type { Knex } from 'knex';
import { aborted, alreadyExists, internal, isMlmdError, RetryTransaction, unavailable, type MlmdError } from '../errors';
import type { Dialect } from './config';
import type { Tx, TransactionOptions } from './database';
import { classifyDbError, isRetryable, type DbErrorKind } from './db_errors';
import type { DatabaseObserver, RetryReason, WrittenEntityKind } from './observer';
import { insertReturningIds, type InsertIdStrategy } from './insert_returning_ids';
import { physicalTableName } from './tables';

const MAX_ATTEMPTS = 6;
const BASE_BACKOFF_MS = 10;
const MAX_BACKOFF_MS = 500;

/**
 * How a read-only unit begins, per dialect (see TransactionOptions.readOnly). PostgreSQL's
 * default READ COMMITTED takes a snapshot per statement, so reads ask for REPEATABLE READ: one
 * snapshot for the whole RPC, and a read-only transaction there cannot fail serialization.
 * MySQL's `readOnly` is turned into one `START TRANSACTION READ ONLY` by the client class
 * (knex_config.ts); SQLite decides read vs write by the statements, which Knex leaves to it.
 */
const READ_ONLY_CONFIG: Record<Dialect, Knex.TransactionConfig> = {
  mysql: { readOnly: true },
  postgres: { readOnly: true, isolationLevel: 'repeatable read' },
  sqlite: {},
};

const RETRY_REASON: Partial<Record<DbErrorKind, RetryReason>> = {
  deadlock: 'deadlock',
  lock_timeout: 'lock_timeout',
  serialization: 'serialization',
  busy: 'busy',
};

/**
 * Runs each unit of work as one transaction. Transient conflicts (deadlocks, lock-wait
 * timeouts, serialization failures, SQLite busy) re-run the whole unit with full-jitter
 * exponential back-off, so concurrent pipeline steps do not see ABORTED for what the server
 * can resolve itself. Persisting conflicts surface as ABORTED — the code MLMD clients retry.
 */
export class TransactionRunner {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    private readonly observer: DatabaseObserver,
    private readonly insertIdStrategy: InsertIdStrategy,
    private readonly clock: () => number = Date.now,
  ) {}

  async run<T>(work: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const readOnly = options.readOnly === true;
    const config = readOnly
      ? READ_ONLY_CONFIG[this.dialect]
      : options.readCommitted && this.dialect === 'mysql'
        ? ({ isolationLevel: 'read committed' } satisfies Knex.TransactionConfig)
        : undefined;
    for (let attempt = 1; ; attempt++) {
      const started = process.hrtime.bigint();
      const tally = new Map<WrittenEntityKind, number>();
      try {
        const result = await this.knex.transaction(async (trx) => work(this.makeTx(trx, tally)), config);
        this.observer.transactionFinished('committed', seconds(started));
        for (const [kind, rows] of tally) this.observer.rowsWritten(kind, rows);
        return result;
      } catch (error) {
        this.observer.transactionFinished('rolled_back', seconds(started));
        if (error instanceof RetryTransaction && !readOnly) {
          if (attempt >= MAX_ATTEMPTS) throw error.ifExhausted;
          this.observer.transactionRetried('lost_race');
          await sleep(backoffMs(attempt));
          continue;
        }
        if (error instanceof RetryTransaction) throw error.ifExhausted;
        if (isMlmdError(error)) throw error;
        const kind = classifyDbError(this.dialect, error);
        // Read-only work meets no write conflicts; only SQLite's busy lock is worth waiting out.
        const retryable = readOnly ? kind === 'busy' : isRetryable(kind);
        if (retryable && attempt < MAX_ATTEMPTS) {
          this.observer.transactionRetried(RETRY_REASON[kind] ?? 'deadlock');
          await sleep(backoffMs(attempt));
          continue;
        }
        throw toMlmdError(kind, error);
      }
    }
  }

  private makeTx(trx: Knex.Transaction, tally: Map<WrittenEntityKind, number>): Tx {
    const dialect = this.dialect;
    return {
      dialect,
      knex: trx,
      nowMs: this.clock(),
      table: (name) => physicalTableName(dialect, name),
      insertReturningIds: (name, rows) =>
        insertReturningIds(trx, this.insertIdStrategy, physicalTableName(dialect, name), rows),
      recordRowsWritten: (kind, rows) => {
        if (rows > 0) tally.set(kind, (tally.get(kind) ?? 0) + rows);
      },
    };
  }
}

/** The status upstream would give a database failure that the store did not handle itself. */
export function toMlmdError(kind: DbErrorKind, error: unknown): MlmdError {
  const message = driverMessage(error);
  switch (kind) {
    case 'unique_violation':
      return alreadyExists(`Given node already exists: ${message}`);
    case 'deadlock':
    case 'lock_timeout':
    case 'serialization':
    case 'busy':
      return aborted(`Concurrent transactions conflicted and retries were exhausted: ${message}`);
    case 'connection':
      return unavailable(`The metadata database is unreachable: ${message}`);
    default:
      return internal(`Error when executing query: ${message}`);
  }
}

/**
 * Knex prefixes driver errors with the whole statement ("<sql> - <driver message>"). The
 * statement can be megabytes long and is ours, not the client's business: keep the driver's part.
 */
function driverMessage(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  const separator = message.lastIndexOf(' - ');
  const driver = separator >= 0 && /^\s*(select|insert|update|delete|with|alter|create)\b/i.test(message) ? message.slice(separator + 3) : message;
  return driver.length > 500 ? `${driver.slice(0, 500)}…` : driver;
}

function backoffMs(attempt: number): number {
  const cap = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
  return Math.random() * cap;
}

function seconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
