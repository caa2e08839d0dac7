import type { Knex } from 'knex';
import type { Dialect } from './config';
import type { WrittenEntityKind } from './observer';
import type { StableFacts } from './stable_facts';
import type { TableName } from './tables';
import type { UnitKnex } from './unit_knex';
import type { WriteTurns } from './write_turns';

/**
 * A unit of work on the metadata database: one SQL transaction. Repositories receive one of
 * these and never open connections or transactions themselves.
 */
export interface Tx {
  readonly dialect: Dialect;
  /** Knex's query builder on the unit's connection; every statement of one RPC goes through it. */
  readonly knex: UnitKnex;
  /** The physical name of an MLMD table in this dialect (see physicalTableName). */
  table(name: TableName): string;
  /** Server clock in milliseconds since the epoch, read once per transaction attempt. */
  readonly nowMs: number;
  /**
   * Inserts rows (all with the same keys) into a table with an auto-increment id in ONE
   * statement where the database allows it, returning the new ids in row order.
   */
  insertReturningIds(table: TableName, rows: Record<string, unknown>[]): Promise<number[]>;
  /** Facts about this database that never change once committed (see StableFacts). */
  readonly stable: StableFacts;
  /**
   * Adds to this transaction's tally of rows written. The tally is reported to the
   * DatabaseObserver only when the transaction commits; an attempt that rolls back (bad input
   * found after an insert, a retried conflict) is forgotten with its tally.
   */
  recordRowsWritten(kind: WrittenEntityKind, rows: number): void;
  /**
   * Says, before a read unit's first statement, that the next statement is all the unit
   * reads: it then runs on its own, without BEGIN and COMMIT around it (one statement reads
   * one snapshot anyway; see unit_frame.ts). No effect once a statement has run, or
   * in a unit that writes. Should the unit issue a second statement after all, it is re-run
   * in a transaction: a wrong declaration costs time, never consistency.
   */
  soleStatementNext(): void;
  /**
   * Runs `reads` before the unit's transaction begins, each statement on its own; the unit's
   * later statements are framed as usual (BEGIN sent before the first of them, none at all if
   * there is none). For a check whose answer, if acted upon, is checked again under a lock, or
   * that needs no common snapshot with the unit's other reads (tenancy's audit of a read's
   * answer, after its lone statement), in units that begin lazily (read units and
   * TransactionOptions.checksUnderLock); elsewhere, or once a statement has gone out framed,
   * `reads` simply runs inside the transaction.
   */
  unframed<T>(reads: () => Promise<T>): Promise<T>;
  /**
   * Sends `sql`, a statement without bindings whose answer nobody reads (a lock), inside the
   * unit's transaction: on MySQL/MariaDB in one packet in front of the unit's next statement
   * (or its COMMIT), one round trip less (mysql_folded_begin.ts); elsewhere at once. Like any
   * statement of the packet, it fails the statement it travels with if it fails.
   */
  withNextStatement(sql: string): Promise<void>;
}

export interface TransactionOptions {
  /**
   * Writing work that must read the latest committed rows at every statement and take no
   * gap locks (the purge, which deletes old rows while clients insert new ones next to them
   * in the same indexes): READ COMMITTED on MySQL/MariaDB, whose REPEATABLE READ default
   * would read one snapshot and lock the gaps it scans. PostgreSQL runs READ COMMITTED
   * anyway; SQLite has one writer at a time.
   */
  readCommitted?: boolean;
  /**
   * Work that only reads (defaults to false). It runs in a read-only transaction where the
   * dialect has one, on one snapshot for the whole unit: `START TRANSACTION READ ONLY` on
   * MySQL/MariaDB (InnoDB's REPEATABLE READ snapshot), `BEGIN TRANSACTION ISOLATION LEVEL
   * REPEATABLE READ READ ONLY` on PostgreSQL, a plain (deferred, hence read) `BEGIN` on
   * SQLite. A statement that writes fails there. It is never re-run on a write conflict
   * (deadlock, lock-wait timeout, serialization failure) or a lost creation race, which
   * read-only work cannot meet; only SQLite's busy lock (another process writing) is waited out.
   */
  readOnly?: boolean;
  /**
   * The unit checks, then writes, under a lock it takes first (type creation): every read
   * after the lock must see what the lock's previous holder committed, whenever the engine
   * took its snapshot (InnoDB at the first read, TiDB at the first statement, anyone at
   * START TRANSACTION WITH CONSISTENT SNAPSHOT). On MySQL/MariaDB/TiDB the unit runs at
   * READ COMMITTED; PostgreSQL writes already do, SQLite has one writer.
   */
  checksUnderLock?: boolean;
  /**
   * The caller's cancellation (client gone, deadline passed): once it fires, the transaction
   * is rolled back (its connection cut if a statement is running) and the call rejects with
   * the signal's reason when that is an MlmdError, else CANCELLED.
   */
  signal?: AbortSignal;
}

/** The process-wide handle on the metadata database: one connection pool, schema checked. */
export interface Database {
  readonly dialect: Dialect;
  /** The pool. Prefer `transaction`; raw access is for health checks and tests. */
  readonly knex: Knex;
  table(name: TableName): string;
  /**
   * Runs `work` in one transaction. Deadlocks, lock-wait timeouts and serialization failures
   * are retried a bounded number of times with jittered back-off; if they persist the
   * caller sees MlmdError(ABORTED), the code upstream's clients retry on.
   */
  transaction<T>(work: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Rolls back every transaction still in flight by cutting its connection (shutdown past its
   * grace): their callers were told they failed, so none of them may commit. Returns how many.
   */
  abortTransactions(reason: Error): number;
  /**
   * SQLite: the queue in which this process's write units take the file's one write lock, in
   * arrival order (write_turns.ts). Whatever else in the process writes to the same file on
   * connections of its own (the store threads) takes its turn here too. Absent elsewhere.
   */
  readonly writeTurns?: WriteTurns;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** The MLMD schema version found (or created) at start-up. */
  readonly schemaVersion: number;
  close(): Promise<void>;
}
