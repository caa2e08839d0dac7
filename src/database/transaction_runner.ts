import type { Knex } from 'knex';
import { aborted, alreadyExists, internal, invalidArgument, isMlmdError, MlmdError, RetryTransaction, StatusCode, unavailable } from '../errors';
import { DEFAULT_TIMEOUTS, type DatabaseTimeouts, type Dialect } from './config';
import { sqliteBusyTimeoutMs } from './knex_config';
import type { Tx, TransactionOptions } from './database';
import { classifyDbError, driverMessageOf, isRetryable, type DbErrorKind } from './db_errors';
import { severConnection } from './driver_connection';
import { ABORT_REASON } from './driver_error_facts';
import { NeedsTransactionFrame, UNIT_FRAME, unitBeginStatements, unitFrame, type UnitFrame, type UnitKind } from './unit_frame';
import { unitKnex } from './unit_knex';
import type { DatabaseObserver, RetryReason, WrittenEntityKind } from './observer';
import { insertReturningIds, type InsertIdStrategy } from './insert_returning_ids';
import { StableFacts } from './stable_facts';
import { physicalTableName } from './tables';
import { WriteTurns } from './write_turns';

const MAX_ATTEMPTS = 6;
const BASE_BACKOFF_MS = 10;
const MAX_BACKOFF_MS = 500;

const RETRY_REASON: Partial<Record<DbErrorKind, RetryReason>> = {
  deadlock: 'deadlock',
  lock_timeout: 'lock_timeout',
  serialization: 'serialization',
  busy: 'busy',
};

/**
 * Where an attempt was when it failed. A connection lost before the unit's first statement,
 * or anywhere in a read-only unit, loses nothing: the unit runs again on a fresh connection.
 * Lost while committing, the outcome is unknown.
 */
type Phase = 'connecting' | 'beginning' | 'working' | 'committing';

/** One transaction in flight, for aborting it from outside (cancelled call, shutdown). */
interface InFlight {
  connection: unknown;
  phase: Phase;
  abortReason?: MlmdError;
}

class AttemptFailed extends Error {
  constructor(
    /** The first error of the attempt: never the ROLLBACK's that followed it on a dead connection. */
    readonly firstError: unknown,
    readonly phase: Phase,
  ) {
    super('transaction attempt failed');
  }
}

/**
 * Runs each unit of work as one transaction on a connection of its own, and is the one place
 * database failures become statuses. The runner frames the unit itself (unit_frame.ts: BEGIN
 * when and as the unit needs it, COMMIT or ROLLBACK here); Knex only builds and sends its
 * statements on the unit's connection (unit_knex.ts), without a Knex transaction object.
 * - the FIRST error of the unit is the one classified (once a connection dies, the ROLLBACK
 *   fails on it too, and that error must not replace the real one);
 * - transient conflicts (deadlocks, lock-wait timeouts, serialization failures, SQLite busy,
 *   TiDB write conflicts) re-run the whole unit with full-jitter exponential back-off, and
 *   come back ABORTED only once retries are exhausted;
 * - a lost connection re-runs the unit once on a fresh connection when nothing can have been
 *   written (read-only units, or before the first statement), else it is UNAVAILABLE;
 * - a unit whose caller is gone (`options.signal`) or that shutdown abandons has its
 *   connection cut, so the database rolls it back and nothing it wrote commits.
 * No SQL and no statement name ever reaches a message; INTERNAL is left for our own bugs.
 */
export class TransactionRunner {
  private readonly inFlight = new Set<InFlight>();

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    private readonly observer: DatabaseObserver,
    private readonly insertIdStrategy: InsertIdStrategy,
    private readonly timeouts?: DatabaseTimeouts,
    private readonly clock: () => number = Date.now,
  ) {
    this.writeTurns = dialect === 'sqlite' ? new WriteTurns(sqliteBusyTimeoutMs(timeouts ?? DEFAULT_TIMEOUTS)) : undefined;
  }

  private readonly stable = new StableFacts();
  /** SQLite: one write unit at a time from this process, in arrival order (write_turns.ts). */
  readonly writeTurns: WriteTurns | undefined;

  async run<T>(work: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    let reconnected = false;
    // Reads begin lazily and may run one statement unframed (unit_frame.ts), until a unit
    // proves it needs the frame. On MySQL every unit begins lazily, its BEGIN folded into the
    // packet of its first statement (mysql_folded_begin.ts).
    const kind: UnitKind = options.readOnly ? 'read' : options.checksUnderLock || options.readCommitted ? 'locked' : 'write';
    const begin = unitBeginStatements(this.dialect, kind);
    const foldBegin = this.dialect === 'mysql';
    let deferBegin = options.readOnly === true || options.checksUnderLock === true || foldBegin;
    // Only a read may run a declared sole statement unframed.
    let alwaysFramed = options.readOnly !== true;
    for (let attempt = 1; ; attempt++) {
      if (options.signal?.aborted) throw abortError(options.signal);
      const started = process.hrtime.bigint();
      const tally = new Map<WrittenEntityKind, number>();
      try {
        const frame = unitFrame({ begin, foldBegin, deferred: deferBegin, alwaysFramed });
        const result = await this.attempt(work, frame, kind, tally, options.signal);
        this.observer.transactionFinished('committed', seconds(started));
        for (const [kind, rows] of tally) this.observer.rowsWritten(kind, rows);
        return result;
      } catch (failure) {
        this.observer.transactionFinished('rolled_back', seconds(started));
        const { firstError: error, phase } = failure instanceof AttemptFailed ? failure : new AttemptFailed(failure, 'working');
        if (error instanceof NeedsTransactionFrame && deferBegin) {
          // Nothing was written (a read), nothing is waited for: the same unit, framed.
          if (foldBegin) alwaysFramed = true;
          else deferBegin = false;
          attempt--;
          continue;
        }
        if (error instanceof RetryTransaction && !options.readOnly) {
          if (attempt >= MAX_ATTEMPTS) throw error.ifExhausted;
          this.observer.transactionRetried('lost_race');
          await sleep(backoffMs(attempt));
          continue;
        }
        if (error instanceof RetryTransaction) throw error.ifExhausted;
        if (isMlmdError(error)) throw error;
        const kind = classifyDbError(this.dialect, error);
        if (kind === 'connection' && !reconnected && !isPoolWait(error) && (options.readOnly || phase === 'connecting' || phase === 'beginning')) {
          // Nothing of this unit reached the database: run it again on a fresh connection.
          reconnected = true;
          continue;
        }
        // Read-only work meets no write conflicts; only SQLite's busy lock is worth waiting out.
        const retryable = options.readOnly ? kind === 'busy' : isRetryable(kind);
        if (retryable && attempt < MAX_ATTEMPTS) {
          this.observer.transactionRetried(RETRY_REASON[kind] ?? 'deadlock');
          await sleep(backoffMs(attempt));
          continue;
        }
        throw toMlmdError(kind, error, { phase: options.readOnly ? 'working' : phase, timeouts: this.timeouts });
      }
    }
  }

  /**
   * Shutdown past its grace: every transaction still open has its connection cut, so the
   * database rolls it back, even one waiting for its COMMIT to be answered.
   */
  abortAll(reason: MlmdError): number {
    for (const entry of this.inFlight) this.abort(entry, reason, true);
    return this.inFlight.size;
  }

  private abort(entry: InFlight, reason: MlmdError, evenWhileCommitting: boolean): void {
    entry.abortReason ??= reason;
    if (entry.connection === undefined) return;
    (entry.connection as Record<symbol, unknown>)[ABORT_REASON] = entry.abortReason;
    // A COMMIT on its way is let finish for a caller who merely left: cutting it would not
    // undo it reliably, only hide its outcome.
    if (entry.phase !== 'committing' || evenWhileCommitting) severConnection(this.dialect, entry.connection, reason);
  }

  private async attempt<T>(
    work: (tx: Tx) => Promise<T>,
    frame: UnitFrame,
    kind: UnitKind,
    tally: Map<WrittenEntityKind, number>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const entry: InFlight = { connection: undefined, phase: 'connecting' };
    const onAbort = () => this.abort(entry, abortError(signal!), false);
    this.inFlight.add(entry);
    signal?.addEventListener('abort', onAbort, { once: true });
    let firstError: unknown;
    let endTurn: (() => void) | undefined;
    try {
      try {
        // The turn comes before the connection: a writer waiting for it holds none that readers could use.
        if (this.writeTurns && kind !== 'read') endTurn = await this.writeTurns.take(signal);
        entry.connection = await this.knex.client.acquireConnection();
      } catch (error) {
        throw new AttemptFailed(entry.abortReason ?? error, entry.phase);
      }
      if (entry.abortReason) throw new AttemptFailed(entry.abortReason, entry.phase);
      const connection = entry.connection as Record<symbol, unknown>;
      connection[UNIT_FRAME] = frame;
      entry.phase = 'beginning';
      try {
        if (!frame.deferred) {
          frame.begun = true;
          for (const statement of frame.begin) await this.frameStatement(connection, statement);
        }
        entry.phase = 'working';
        let result: T;
        try {
          result = await work(this.makeTx(connection, tally, frame));
        } catch (error) {
          firstError = error;
          if (frame.begun) await this.rollback(connection);
          throw error;
        }
        if (frame.begun) {
          entry.phase = 'committing';
          await this.frameStatement(connection, 'COMMIT;');
        }
        return result;
      } catch (error) {
        // Begun lazily, a unit that sent nothing inside its frame yet is still only beginning.
        const phase: Phase = frame.deferred && !frame.framedStatementSent && entry.phase === 'working' ? 'beginning' : entry.phase;
        throw new AttemptFailed(entry.abortReason ?? firstError ?? error, phase);
      }
    } finally {
      endTurn?.();
      signal?.removeEventListener('abort', onAbort);
      this.inFlight.delete(entry);
      if (entry.connection !== undefined) {
        const connection = entry.connection as Record<symbol, unknown>;
        delete connection[ABORT_REASON];
        delete connection[UNIT_FRAME];
        void Promise.resolve(this.knex.client.releaseConnection(entry.connection)).catch(() => undefined);
      }
    }
  }

  /** BEGIN, COMMIT or ROLLBACK on the unit's connection, through the client as every statement goes. */
  private frameStatement(connection: unknown, sql: string): Promise<unknown> {
    return (this.knex.client as unknown as { query(c: unknown, obj: { sql: string }): Promise<unknown> }).query(connection, { sql });
  }

  /**
   * Rolls the failed unit back. Its first error is what the caller hears, whatever ROLLBACK
   * answers; a connection whose ROLLBACK failed may still hold the transaction open, so it is
   * cut rather than handed to the next unit (the database then rolls back on its own).
   */
  private async rollback(connection: unknown): Promise<void> {
    try {
      await this.frameStatement(connection, 'ROLLBACK');
    } catch (error) {
      severConnection(this.dialect, connection, error as Error);
    }
  }

  private makeTx(connection: unknown, tally: Map<WrittenEntityKind, number>, frame: UnitFrame): Tx {
    const dialect = this.dialect;
    const knex = unitKnex(this.knex, connection);
    return {
      dialect,
      knex,
      nowMs: this.clock(),
      stable: this.stable,
      table: (name) => physicalTableName(dialect, name),
      insertReturningIds: (name, rows) =>
        insertReturningIds(knex, this.insertIdStrategy, physicalTableName(dialect, name), rows),
      recordRowsWritten: (kind, rows) => {
        if (rows > 0) tally.set(kind, (tally.get(kind) ?? 0) + rows);
      },
      soleStatementNext: () => {
        if (frame.deferred && !frame.begun && !frame.ranAlone) frame.soleStatementDeclared = true;
      },
      withNextStatement: async (sql) => {
        if (frame.foldBegin) frame.pending.push(sql);
        else await knex.raw(sql);
      },
      unframed: async (reads) => {
        if (!frame.deferred || frame.begun || frame.unframed) return reads();
        frame.unframed = true;
        try {
          return await reads();
        } finally {
          frame.unframed = false;
        }
      },
    };
  }
}

/** Waiting for the pool already took its full time: a second wait would only double it. */
function isPoolWait(error: unknown): boolean {
  return /Timeout acquiring a connection/.test(driverMessageOf(error));
}

/** The status for a unit whose signal fired: the caller cancelled, its deadline passed, or shutdown. */
function abortError(signal: AbortSignal): MlmdError {
  const reason: unknown = signal.reason;
  if (isMlmdError(reason)) return reason;
  return new MlmdError(StatusCode.CANCELLED, 'The call was cancelled; its transaction was rolled back.');
}

interface FailureContext {
  phase?: Phase;
  timeouts?: DatabaseTimeouts;
}

/** The status upstream would give a database failure that the store did not handle itself. */
export function toMlmdError(kind: DbErrorKind, error: unknown, context: FailureContext = {}): MlmdError {
  const message = driverMessageOf(error);
  const code = (error as { code?: string } | undefined)?.code;
  switch (kind) {
    case 'unique_violation':
      return alreadyExists(`Given node already exists: ${message}`);
    case 'deadlock':
    case 'lock_timeout':
    case 'serialization':
    case 'busy':
      return aborted(`Concurrent transactions conflicted and retries were exhausted; retry the call: ${message}`);
    case 'too_large':
      return invalidArgument(`A value is larger than the metadata database accepts: ${message}`);
    case 'statement_timeout':
      return new MlmdError(
        StatusCode.DEADLINE_EXCEEDED,
        `The metadata database stopped a statement at its time limit of ${seconds_(context.timeouts?.statementMs)} ` +
          `(--db_statement_timeout_seconds): ${message}`,
      );
    case 'connection': {
      const what =
        code === 'MLMD_DB_NO_ANSWER'
          ? `The metadata database did not answer within ${seconds_((context.timeouts?.statementMs ?? 0) + 2000)} ` +
            `(--db_statement_timeout_seconds); its connection was dropped`
          : /Timeout acquiring a connection/.test(message)
            ? `No connection to the metadata database could be had within ${seconds_(
                context.timeouts ? context.timeouts.connectMs + context.timeouts.statementMs : undefined,
              )}: the database does not accept connections or all of them are busy`
            : `The connection to the metadata database was lost or refused (${message})`;
      const outcome =
        context.phase === 'committing'
          ? '; it was lost while committing, so the write may or may not have been applied: read before retrying it'
          : '; nothing was written, retry the call';
      return unavailable(what + outcome);
    }
    case 'access_denied':
      return unavailable(`The metadata database refused our credentials: ${message}`);
    case 'unknown_database':
      return unavailable(`The metadata database does not exist: ${message}`);
    default:
      return internal(`Error when executing query: ${message}`);
  }
}

function seconds_(ms: number | undefined): string {
  return ms === undefined ? 'its limit' : `${Math.round(ms / 100) / 10} s`;
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
