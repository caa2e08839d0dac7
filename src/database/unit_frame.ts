import type { Knex } from 'knex';
import type { Dialect } from './config';
import { foldStatementsBefore } from './mysql_folded_begin';

/**
 * The frame of a unit of work: the statements that begin its transaction, sent by this module
 * at the right moment, and COMMIT/ROLLBACK, sent by the transaction runner. Knex builds and runs
 * the unit's statements on its connection (unit_knex.ts) but never sees a transaction.
 *
 * Read units begin lazily, at their first statement, and a read whose one statement is all it
 * reads runs without a frame at all.
 *
 * Why: on a held connection a small read is one statement of work framed by BEGIN and COMMIT,
 * three round trips where one would do — and each round trip costs a socket write and read on
 * both ends (on MySQL/PostgreSQL) or a thread hop (SQLite's worker client). A single statement
 * already reads one consistent snapshot on every engine (InnoDB's statement read view,
 * PostgreSQL's statement snapshot, SQLite's implicit transaction), so framing it adds nothing.
 * A unit that reads more than once still gets its one snapshot: the BEGIN goes out right
 * before its first statement (same round trips as an eager BEGIN), and a read that issues no
 * statement at all (an empty id list) costs none.
 *
 * On MySQL every unit, writes too, begins this way: there the BEGIN goes out in one packet with
 * the first statement (mysql_folded_begin.ts), one round trip less per transaction.
 *
 * A unit that checks before it writes (type registration: re-registering an unchanged type
 * only reads, and what it reads never changes once committed) may also run those first reads
 * unframed (`Tx.unframed`) and begin only if it must write — it then re-checks under its lock.
 *
 * How: the unit's code says, before its first statement, that the next statement is its only
 * one (`Tx.soleStatementNext`). If it then issues a second statement anyway (a bug, or an id
 * list long enough to be split), that statement is refused with `NeedsTransactionFrame` and the
 * runner re-runs the whole unit — reads are safe to re-run — inside a real transaction.
 */

/** What a unit's transaction must guarantee, which decides how it begins. */
export type UnitKind = 'read' | 'write' | 'locked';

/**
 * The statements that begin a unit, in order.
 * - read: one snapshot for the whole unit, in a read-only transaction where the dialect has
 *   one. PostgreSQL's default READ COMMITTED takes a snapshot per statement, so it asks for
 *   REPEATABLE READ (a read-only transaction there cannot fail serialization); MySQL says
 *   `START TRANSACTION READ ONLY` (InnoDB's REPEATABLE READ snapshot, no transaction id, no locks).
 * - locked (checks under a lock, the purge): on MySQL/MariaDB READ COMMITTED, so reads after the
 *   lock see the previous holder's commit and take no gap locks; PostgreSQL writes already do.
 * - SQLite: reads begin deferred (BEGIN); writes take the write lock at once (BEGIN IMMEDIATE):
 *   with several connections (threads, or processes on one file) a deferred transaction that
 *   read first and then writes fails with SQLITE_BUSY when another writer got there in between;
 *   waiting for the lock up front turns that into an orderly queue.
 * MySQL's statements have no `;`: they are folded in front of the unit's first statement.
 */
export function unitBeginStatements(dialect: Dialect, kind: UnitKind): readonly string[] {
  switch (dialect) {
    case 'mysql':
      if (kind === 'read') return ['START TRANSACTION READ ONLY'];
      if (kind === 'locked') return ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', 'START TRANSACTION'];
      return ['START TRANSACTION'];
    case 'postgres':
      return [kind === 'read' ? 'BEGIN TRANSACTION ISOLATION LEVEL repeatable read READ ONLY;' : 'BEGIN;'];
    case 'sqlite':
      return [kind === 'read' ? 'BEGIN;' : 'BEGIN IMMEDIATE;'];
  }
}

/** Per attempt of a unit: shared by the runner, its Tx and the client hook below. */
export interface UnitFrame {
  /** The statements that begin the unit (unitBeginStatements). */
  readonly begin: readonly string[];
  /** MySQL: the begin statements go in one packet with the first framed statement. */
  readonly foldBegin: boolean;
  /** The BEGIN waits for the unit's first statement (else the runner sent it up front). */
  readonly deferred: boolean;
  /** The unit already failed NeedsTransactionFrame once: every statement goes framed. */
  readonly alwaysFramed: boolean;
  /** Set by Tx.soleStatementNext: the next statement may run alone. */
  soleStatementDeclared: boolean;
  /** The BEGIN was sent (the unit is framed from here on, COMMIT/ROLLBACK are due). */
  begun: boolean;
  /** A statement ran alone, outside any frame: any further statement must be refused. */
  ranAlone: boolean;
  /** Inside Tx.unframed: statements run on their own until it returns. */
  unframed: boolean;
  /** A statement of the unit's work went out inside the frame (not only BEGIN, not only unframed reads). */
  framedStatementSent: boolean;
  /**
   * MySQL: statements whose answer nobody reads (a lock), to go framed in one packet in front of
   * the unit's next statement (Tx.withNextStatement).
   */
  readonly pending: string[];
}

export function unitFrame(options: { begin: readonly string[]; foldBegin: boolean; deferred: boolean; alwaysFramed: boolean }): UnitFrame {
  return {
    ...options,
    soleStatementDeclared: false,
    begun: false,
    ranAlone: false,
    unframed: false,
    framedStatementSent: false,
    pending: [],
  };
}

/** A unit that declared one statement issued a second: it must run again, framed. */
export class NeedsTransactionFrame extends Error {
  constructor() {
    super('a read unit declared to issue one statement issued a second; it is re-run in a transaction');
    this.name = 'NeedsTransactionFrame';
  }
}

/** Where the runner puts a unit's frame on its connection, for the client hook to find. */
export const UNIT_FRAME = Symbol('mlmdUnitFrame');

type ClientClass = new (config: Knex.Config) => { query(connection: unknown, obj: unknown): Promise<unknown> };

/**
 * Wraps a Knex client class (any dialect) so that each statement on a connection carrying a
 * unit's frame is sent as that frame says (see above): alone, refused, or framed, the BEGIN
 * going out first (or, on MySQL, in the same packet). `query` is the client's entry for every
 * statement, before Knex reports it: listeners see the BEGIN, then the statement.
 */
export function withUnitFrames(Base: typeof Knex.Client): typeof Knex.Client {
  class UnitFrameClient extends (Base as unknown as ClientClass) {
    override query(connection: unknown, obj: unknown): Promise<unknown> {
      const frame = (connection as { [UNIT_FRAME]?: UnitFrame } | undefined)?.[UNIT_FRAME];
      if (!frame) return super.query(connection, obj);
      if (frame.begun) {
        frame.framedStatementSent = true;
        if (frame.pending.length === 0) return super.query(connection, obj);
        return super.query(connection, folded(obj, frame.pending.splice(0)));
      }
      // A pending statement is framed, and so is whatever carries it.
      if (frame.unframed && frame.pending.length === 0) return super.query(connection, obj);
      if (frame.ranAlone) return Promise.reject(new NeedsTransactionFrame());
      if (frame.soleStatementDeclared && !frame.alwaysFramed && frame.pending.length === 0) {
        frame.ranAlone = true;
        return super.query(connection, obj);
      }
      frame.begun = true;
      if (frame.foldBegin) {
        // One packet: the BEGIN and this statement (withFoldedBegin unwraps the statement's answer).
        frame.framedStatementSent = true;
        return super.query(connection, folded(obj, [...frame.begin, ...frame.pending.splice(0)]));
      }
      return this.beginThen(connection, obj, frame);
    }

    private async beginThen(connection: unknown, obj: unknown, frame: UnitFrame): Promise<unknown> {
      for (const statement of frame.begin) await super.query(connection, { sql: statement });
      frame.framedStatementSent = true;
      return super.query(connection, obj);
    }
  }
  return UnitFrameClient as unknown as typeof Knex.Client;
}

/** `obj` with `statements` in front of its own, in one packet. */
function folded(obj: unknown, statements: readonly string[]): { sql?: string } {
  const query = typeof obj === 'string' ? { sql: obj } : (obj as { sql?: string });
  foldStatementsBefore(query, statements);
  return query;
}
