import knexFactory, { type Knex } from 'knex';
import fs from 'node:fs';
import path from 'node:path';
import { failedPrecondition, isMlmdError, MlmdError, StatusCode, unavailable } from '../errors';
import { DEFAULT_TIMEOUTS, type DatabaseConfig, type DatabaseTimeouts, type OpenOptions, type SqliteConfig } from './config';
import type { Database, Tx, TransactionOptions } from './database';
import { classifyDbError, driverMessageOf } from './db_errors';
import { ensureDatabaseExists } from './ensure_database_exists';
import { describeDatabase, inProcessSqliteKnexConfig, knexConfig } from './knex_config';
import { NO_OP_OBSERVER, type DatabaseObserver } from './observer';
import { detectInsertIdStrategy, type InsertIdStrategy } from './insert_returning_ids';
import { initializeSchema } from './schema/initialize_schema';
import { physicalTableName, type TableName } from './tables';
import { TransactionRunner } from './transaction_runner';
import type { WriteTurns } from './write_turns';

/**
 * Connects, creates or checks the MLMD schema under a database-level lock, and returns the
 * process-wide pool. Failures are MlmdError: UNAVAILABLE when the database cannot be
 * reached, FAILED_PRECONDITION for a schema version we must not touch.
 */
export async function openDatabase(
  config: DatabaseConfig,
  options: OpenOptions,
  observer: DatabaseObserver = NO_OP_OBSERVER,
): Promise<Database> {
  if (config.kind === 'sqlite' && config.filename !== ':memory:') {
    fs.mkdirSync(path.dirname(path.resolve(config.filename)), { recursive: true });
  }
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  try {
    if (config.kind !== 'sqlite') await ensureDatabaseExists(config, timeouts);
  } catch (e) {
    throw explainConnectionFailure(config, e, timeouts);
  }
  let schemaVersion: number;
  let insertIds: InsertIdStrategy;
  // Schema creation and upgrades may take long on a big database: no statement timeout
  // there, only for the serving pool. SQLite has one connection to a file: share it.
  const setupKnex = config.kind === 'sqlite' ? undefined : knexFactory(knexConfig(config, 2, { ...timeouts, statementMs: 0 }));
  const knex = knexFactory(knexConfig(config, options.poolMax, timeouts));
  observeQueries(knex, observer);
  try {
    schemaVersion = await initializeSchema(setupKnex ?? knex, config, options.schema, options.migrations);
    insertIds = await detectInsertIdStrategy(knex, config.kind);
  } catch (e) {
    await knex.destroy().catch(() => undefined);
    throw explainConnectionFailure(config, e, timeouts);
  } finally {
    await setupKnex?.destroy().catch(() => undefined);
  }
  return new KnexDatabase(knex, config, schemaVersion, observer, insertIds, timeouts);
}

/**
 * One in-process connection on a SQLite file that openDatabase already prepared elsewhere
 * (schema created or migrated, version checked): no schema work here. For the store threads
 * (src/threads/), which each serve whole RPCs on a connection of their own; `schemaVersion`
 * is the one the preparing connection found.
 */
export async function openPreparedSqlite(
  config: SqliteConfig,
  options: { schemaVersion: number; timeouts?: DatabaseTimeouts },
  observer: DatabaseObserver = NO_OP_OBSERVER,
): Promise<Database> {
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const knex = knexFactory(inProcessSqliteKnexConfig(config, timeouts));
  observeQueries(knex, observer);
  try {
    // The first statement opens the file (and runs the connection's pragmas): fail here, not in the first call.
    await knex.raw('SELECT 1');
  } catch (e) {
    await knex.destroy().catch(() => undefined);
    throw explainConnectionFailure(config, e, timeouts);
  }
  return new KnexDatabase(knex, config, options.schemaVersion, observer, await detectInsertIdStrategy(knex, config.kind), timeouts);
}

/** How long close() waits for the pool to let go before leaving the rest to process exit. */
const CLOSE_WAIT_MS = 2_000;

class KnexDatabase implements Database {
  readonly dialect;
  private readonly runner: TransactionRunner;

  constructor(
    readonly knex: Knex,
    config: DatabaseConfig,
    readonly schemaVersion: number,
    observer: DatabaseObserver,
    insertIds: InsertIdStrategy,
    timeouts: DatabaseTimeouts,
  ) {
    this.dialect = config.kind;
    this.runner = new TransactionRunner(knex, this.dialect, observer, insertIds, timeouts);
  }

  table(name: TableName): string {
    return physicalTableName(this.dialect, name);
  }

  transaction<T>(work: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.runner.run(work, options);
  }

  get writeTurns(): WriteTurns | undefined {
    return this.runner.writeTurns;
  }

  abortTransactions(reason: Error): number {
    return this.runner.abortAll(isMlmdError(reason) ? reason : unavailable(reason.message));
  }

  async ping(): Promise<void> {
    await this.knex.raw('SELECT 1');
  }

  /** Destroys the pool; bounded, so a database that does not answer cannot hold up exit. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.knex.destroy(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_WAIT_MS);
        timer.unref();
      }),
    ]).finally(() => clearTimeout(timer));
  }
}

/** Times every statement by its first keyword; Knex tags each query with a unique id. */
function observeQueries(knex: Knex, observer: DatabaseObserver): void {
  if (observer === NO_OP_OBSERVER) return;
  const started = new Map<string, { at: bigint; op: string }>();
  const finish = (query: { __knexQueryUid?: string }, failed: boolean) => {
    const uid = query.__knexQueryUid;
    const entry = uid ? started.get(uid) : undefined;
    if (!uid || !entry) return;
    started.delete(uid);
    observer.queryFinished(entry.op, Number(process.hrtime.bigint() - entry.at) / 1e9, failed);
  };
  knex.on('query', (query: { __knexQueryUid?: string; sql?: string; method?: string }) => {
    if (!query.__knexQueryUid) return;
    const op = (query.method || /^\s*(\w+)/.exec(query.sql ?? '')?.[1] || 'other').toLowerCase();
    started.set(query.__knexQueryUid, { at: process.hrtime.bigint(), op: normalizeOperation(op) });
  });
  knex.on('query-response', (_response: unknown, query: { __knexQueryUid?: string }) => finish(query, false));
  knex.on('query-error', (_error: unknown, query: { __knexQueryUid?: string }) => finish(query, true));
}

function normalizeOperation(op: string): string {
  if (op === 'first' || op === 'pluck') return 'select';
  if (op === 'del') return 'delete';
  return ['select', 'insert', 'update', 'delete'].includes(op) ? op : 'other';
}

/** The database could not be reached at all (down, not up yet, not answering): worth waiting for. */
export class DatabaseUnreachable extends MlmdError {
  constructor(message: string) {
    super(StatusCode.UNAVAILABLE, message);
    this.name = 'DatabaseUnreachable';
  }
}

/** One line an operator can act on, naming the database and the flag to check. */
function explainConnectionFailure(config: DatabaseConfig, error: unknown, timeouts: DatabaseTimeouts = DEFAULT_TIMEOUTS): MlmdError {
  if (isMlmdError(error)) return error;
  const where = describeDatabase(config);
  const detail = driverMessageOf(error);
  switch (classifyDbError(config.kind, error)) {
    case 'connection':
      if (/timeout|ETIMEDOUT|did not answer/i.test(detail)) {
        return new DatabaseUnreachable(
          `${where} accepted no connection within ${timeouts.connectMs / 1000} s (--db_connect_timeout_seconds): ` +
            `it is not answering (${detail}); check that the database server is up and not overloaded`,
        );
      }
      return new DatabaseUnreachable(`cannot reach ${where} (${detail}); check the host/port flags and that the database server is running`);
    case 'access_denied':
      return new MlmdError(
        StatusCode.PERMISSION_DENIED,
        `${where} refused the credentials (${detail}); check the user and password flags`,
      );
    case 'unknown_database':
      return failedPrecondition(`${where} does not exist and database creation is disabled (${detail})`);
    default:
      return unavailable(`cannot open ${where}: ${detail}`);
  }
}
