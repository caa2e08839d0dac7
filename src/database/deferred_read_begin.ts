import type { Knex } from 'knex';
import { foldStatementsBefore } from './mysql_folded_begin';

/**
 * Read units begin their transaction lazily, at their first statement, and a read whose one
 * statement is all it reads runs without a transaction frame at all.
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

/** Per attempt of a read unit: shared by the runner's Tx and the Knex transaction it runs in. */
export interface DeferredBeginState {
  /** Set by Tx.soleStatementNext: the next statement may run alone. */
  soleStatementDeclared: boolean;
  /** A BEGIN was sent (the unit is framed from here on, COMMIT/ROLLBACK are real). */
  begun: boolean;
  /** A statement ran alone, outside any frame: any further statement must be refused. */
  ranAlone: boolean;
  /** Inside Tx.unframed: statements run on their own until it returns. */
  unframed: boolean;
  /** A statement of the unit's work went out inside the frame (not only BEGIN, not only unframed reads). */
  framedStatementSent: boolean;
  /**
   * MySQL: the statements that begin the unit, sent in one packet with its first framed
   * statement instead of on their own (mysql_folded_begin.ts). Absent: Knex's own begin.
   */
  readonly foldedBegin?: readonly string[];
  /** The unit already failed NeedsTransactionFrame once: every statement goes framed. */
  readonly alwaysFramed: boolean;
}

export function deferredBeginState(options: { foldedBegin?: readonly string[]; alwaysFramed?: boolean } = {}): DeferredBeginState {
  return {
    soleStatementDeclared: false,
    begun: false,
    ranAlone: false,
    unframed: false,
    framedStatementSent: false,
    foldedBegin: options.foldedBegin,
    alwaysFramed: options.alwaysFramed ?? false,
  };
}

/** A unit that declared one statement issued a second: it must run again, framed. */
export class NeedsTransactionFrame extends Error {
  constructor() {
    super('a read unit declared to issue one statement issued a second; it is re-run in a transaction');
    this.name = 'NeedsTransactionFrame';
  }
}

/** The transaction-config key under which the runner hands the state to the transaction. */
export const DEFERRED_BEGIN = 'mlmdDeferredBegin';

type QueryFn = (connection: unknown, obj: unknown) => Promise<unknown>;

interface KnexTransactionInternals {
  trxClient?: { query: QueryFn };
  _completed: boolean;
  _resolver(value: unknown): void;
  _rejecter(error: unknown): void;
  begin(connection: unknown): Promise<unknown>;
  commit(connection: unknown, value: unknown): Promise<unknown>;
  rollback(connection: unknown, error: unknown): Promise<unknown>;
}

type ClientClass = new (config: Knex.Config) => { transaction(...args: unknown[]): unknown };

/**
 * Wraps a Knex client class (any dialect, over whatever transaction class it uses) so that a
 * transaction started with `config[DEFERRED_BEGIN]` begins as described above. Other
 * transactions are untouched.
 */
export function withDeferredReadBegin(Base: typeof Knex.Client): typeof Knex.Client {
  class DeferredReadBeginClient extends (Base as unknown as ClientClass) {
    override transaction(...args: unknown[]): unknown {
      const trx = super.transaction(...args) as KnexTransactionInternals;
      // (container, config, outerTx): Knex copies the config, custom keys included.
      const state = (args[1] as Record<string, unknown> | undefined)?.[DEFERRED_BEGIN] as DeferredBeginState | undefined;
      if (state) deferBegin(trx, state);
      return trx;
    }
  }
  return DeferredReadBeginClient as unknown as typeof Knex.Client;
}

function deferBegin(trx: KnexTransactionInternals, state: DeferredBeginState): void {
  const begin = trx.begin.bind(trx);
  const commit = trx.commit.bind(trx);
  const rollback = trx.rollback.bind(trx);
  // Knex builds the transaction's client (trxClient) right before it calls begin(): every
  // statement of the unit, BEGIN and COMMIT included, passes through trxClient.query.
  trx.begin = (connection) => {
    const trxClient = trx.trxClient!;
    const query = trxClient.query;
    let beginning = false;
    let beginError: unknown;
    trxClient.query = (conn, obj) => {
      if (beginning) {
        // Knex's own query() swallows a failed BEGIN into the transaction's rejection: keep
        // the error, so the statement waiting for this BEGIN fails with it too.
        return query.call(trxClient, conn, obj).catch((error: unknown) => {
          beginError = error;
          throw error;
        });
      }
      if (state.begun) {
        state.framedStatementSent = true;
        return query.call(trxClient, conn, obj);
      }
      if (state.unframed) return query.call(trxClient, conn, obj);
      if (state.ranAlone) return Promise.reject(new NeedsTransactionFrame());
      if (state.soleStatementDeclared && !state.alwaysFramed) {
        state.ranAlone = true;
        return query.call(trxClient, conn, obj);
      }
      state.begun = true;
      if (state.foldedBegin) {
        // One packet: the BEGIN and this statement (the client unwraps the statement's answer).
        const folded = typeof obj === 'string' ? { sql: obj } : (obj as { sql?: string });
        foldStatementsBefore(folded, state.foldedBegin);
        state.framedStatementSent = true;
        return query.call(trxClient, conn, folded);
      }
      beginning = true;
      return begin(connection).then(
        () => {
          beginning = false;
          if (beginError !== undefined) throw beginError;
          state.framedStatementSent = true;
          return query.call(trxClient, conn, obj);
        },
        (error: unknown) => {
          beginning = false;
          throw error;
        },
      );
    };
    return Promise.resolve();
  };
  trx.commit = (connection, value) => {
    if (state.begun) return commit(connection, value);
    trx._completed = true;
    trx._resolver(value);
    return Promise.resolve();
  };
  trx.rollback = (connection, error) => {
    if (state.begun) return rollback(connection, error);
    trx._completed = true;
    trx._rejecter(error ?? new Error('Transaction rejected with non-error: undefined'));
    return Promise.resolve();
  };
}
