import type { Knex } from 'knex';
import type { Dialect } from './config';
import { severConnection } from './driver_connection';

/** Why statements on a connection must stop: set by the transaction runner on abort. */
export const ABORT_REASON = Symbol('mlmdAbortReason');

interface WatchedConnection {
  [ABORT_REASON]?: Error;
}

interface QueryObject {
  sql?: string;
}

export interface StatementGuard {
  dialect: Dialect;
  /**
   * How long a statement may go without an answer before its connection is cut (0 = forever).
   * Set above the database's own statement timeout, so that a database that answers reports
   * its timeout itself and only one that does not answer at all is cut.
   */
  noAnswerMs: number;
}

type KnexClientClass = new (config: Knex.Config) => {
  _query(connection: unknown, obj: QueryObject): Promise<unknown>;
};

/** Raised when the database did not answer a statement in time; classified as a lost connection. */
export class NoAnswerError extends Error {
  readonly code = 'MLMD_DB_NO_ANSWER';
  constructor(readonly waitedMs: number) {
    super(`the database did not answer within ${Math.round(waitedMs / 100) / 10} s`);
    this.name = 'NoAnswerError';
  }
}

/**
 * Subclasses a Knex dialect client so that every statement (the unit of work's and the
 * BEGIN/COMMIT/ROLLBACK Knex sends itself):
 * - keeps the driver's own message in `driverMessage`, before Knex prefixes the whole SQL to
 *   `message` (no SQL ever reaches a client, and classification reads the driver's words);
 * - is refused once the transaction was aborted (cancelled call, shutdown), except ROLLBACK;
 * - has its connection cut when the database does not answer within `noAnswerMs`: a hung
 *   server (TCP open, nothing said) then fails calls in seconds instead of never.
 */
export function guardedClient(Base: typeof Knex.Client, guard: StatementGuard): typeof Knex.Client {
  const Client = Base as unknown as KnexClientClass;
  class GuardedClient extends Client {
    override _query(connection: unknown, obj: QueryObject): Promise<unknown> {
      const aborted = (connection as WatchedConnection | undefined)?.[ABORT_REASON];
      if (aborted && !/^\s*ROLLBACK\b/i.test(obj?.sql ?? '')) return Promise.reject(unprefixedCopy(aborted));
      const pending = Promise.resolve()
        .then(() => super._query(connection, obj))
        .catch((error: unknown) => {
          if (error && typeof error === 'object' && !('driverMessage' in error)) {
            (error as { driverMessage?: string }).driverMessage = (error as Error).message;
          }
          throw error;
        });
      if (!(guard.noAnswerMs > 0) || guard.dialect === 'sqlite') return pending;
      let timer: NodeJS.Timeout | undefined;
      const watchdog = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new NoAnswerError(guard.noAnswerMs);
          severConnection(guard.dialect, connection, error);
          reject(error);
        }, guard.noAnswerMs);
      });
      return Promise.race([pending, watchdog]).finally(() => clearTimeout(timer));
    }
  }
  return GuardedClient as unknown as typeof Knex.Client;
}

/**
 * Knex prefixes the SQL to a failed statement's error message in place. The abort reason is
 * what the transaction runner reports to the caller, so the statement fails with a copy and
 * the reason keeps its words.
 */
function unprefixedCopy(error: Error): Error {
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  Object.assign(copy, error);
  Object.defineProperty(copy, 'message', { value: error.message, writable: true, configurable: true });
  copy.stack = error.stack;
  return copy;
}

/** Knex's own dialect client classes (not in its public typings; stable module paths). */
export function knexDialectClient(dialect: Dialect): typeof Knex.Client {
  /* eslint-disable @typescript-eslint/no-require-imports */
  switch (dialect) {
    case 'sqlite':
      return require('knex/lib/dialects/better-sqlite3') as typeof Knex.Client;
    case 'mysql':
      return require('knex/lib/dialects/mysql2') as typeof Knex.Client;
    case 'postgres':
      return require('knex/lib/dialects/postgres') as typeof Knex.Client;
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
}
