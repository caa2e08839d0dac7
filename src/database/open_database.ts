import knexFactory, { type Knex } from 'knex';
import fs from 'node:fs';
import path from 'node:path';
import { failedPrecondition, isMlmdError, MlmdError, StatusCode, unavailable } from '../errors';
import type { DatabaseConfig, OpenOptions } from './config';
import type { Database, Tx, TransactionOptions } from './database';
import { classifyDbError } from './db_errors';
import { ensureDatabaseExists } from './ensure_database_exists';
import { describeDatabase, knexConfig } from './knex_config';
import { NO_OP_OBSERVER, type DatabaseObserver } from './observer';
import { detectInsertIdStrategy, type InsertIdStrategy } from './insert_returning_ids';
import { initializeSchema } from './schema/initialize_schema';
import { physicalTableName, type TableName } from './tables';
import { TransactionRunner } from './transaction_runner';

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
  try {
    if (config.kind !== 'sqlite') await ensureDatabaseExists(config);
  } catch (e) {
    throw explainConnectionFailure(config, e);
  }
  const knex = knexFactory(knexConfig(config, options.poolMax));
  observeQueries(knex, observer);
  try {
    const schemaVersion = await initializeSchema(knex, config, options.schema, options.migrations);
    const insertIds = await detectInsertIdStrategy(knex, config.kind);
    return new KnexDatabase(knex, config, schemaVersion, observer, insertIds);
  } catch (e) {
    await knex.destroy().catch(() => undefined);
    throw explainConnectionFailure(config, e);
  }
}

class KnexDatabase implements Database {
  readonly dialect;
  private readonly runner: TransactionRunner;

  constructor(
    readonly knex: Knex,
    config: DatabaseConfig,
    readonly schemaVersion: number,
    observer: DatabaseObserver,
    insertIds: InsertIdStrategy,
  ) {
    this.dialect = config.kind;
    this.runner = new TransactionRunner(knex, this.dialect, observer, insertIds);
  }

  table(name: TableName): string {
    return physicalTableName(this.dialect, name);
  }

  transaction<T>(work: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.runner.run(work, options);
  }

  async ping(): Promise<void> {
    await this.knex.raw('SELECT 1');
  }

  async close(): Promise<void> {
    await this.knex.destroy();
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

/** One line an operator can act on, naming the database and the flag to check. */
function explainConnectionFailure(config: DatabaseConfig, error: unknown): MlmdError {
  if (isMlmdError(error)) return error;
  const where = describeDatabase(config);
  const detail = (error as Error)?.message ?? String(error);
  switch (classifyDbError(config.kind, error)) {
    case 'connection':
      return unavailable(`cannot reach ${where} (${detail}); check the host/port flags and that the database server is running`);
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
