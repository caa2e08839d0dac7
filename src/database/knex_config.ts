import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import pg from 'pg';
import { DEFAULT_TIMEOUTS, type DatabaseConfig, type DatabaseTimeouts, type MysqlConfig, type PostgresConfig, type SqliteConfig } from './config';
import { guardedClient, knexDialectClient } from './driver_error_facts';
import { latin1SessionTypeCast, latin1WireClient } from './mysql_wire_text';
import { sqliteWorkerClient } from './sqlite_worker_client';
import { withUnitFrames } from './unit_frame';
import { withFoldedBegin } from './mysql_folded_begin';
import { withPreparedStatementCache } from './sqlite_statement_cache';

const DEFAULT_POOL_MAX = 10;
/** SQLite worker threads per process: readers beside the writer, without crowding the cores. */
const SQLITE_MAX_THREADS = 4;

/**
 * Knex prints pool and driver warnings straight to the console. Every failure also reaches us
 * as a rejected promise, which the caller reports once, in its own words: keep the console quiet.
 */
const QUIET_LOG = { warn: () => {}, error: () => {}, deprecate: () => {}, debug: () => {} };

// PostgreSQL BIGINT (oid 20) arrives as a string by default. Timestamps and counts fit in a
// double exactly; anything wider stays a string so no caller silently loses precision.
pg.types.setTypeParser(20, (text: string) => {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
});

function readIfSet(file: string | undefined): Buffer | undefined {
  return file ? fs.readFileSync(file) : undefined;
}

function readCaDirectory(dir: string | undefined): Buffer[] {
  if (!dir) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.(pem|crt)$/i.test(f))
    .map((f) => fs.readFileSync(path.join(dir, f)));
}

/**
 * A statement whose connection says nothing for this long after the database's own statement
 * timeout should have fired is taken as a hung database, and its connection is cut.
 */
const NO_ANSWER_SLACK_MS = 2_000;

function mysqlConnection(config: MysqlConfig, withDatabase: boolean, timeouts: DatabaseTimeouts = DEFAULT_TIMEOUTS): Record<string, unknown> {
  const ssl = config.ssl;
  const connection: Record<string, unknown> = {
    user: config.user ?? '',
    password: config.password ?? '',
    // Same session character set as upstream's client library; see mysql_wire_text.ts.
    charset: 'latin1',
    typeCast: latin1SessionTypeCast,
    supportBigNumbers: true,
    bigNumberStrings: false,
    // A unit's BEGIN shares its first statement's packet (mysql_folded_begin.ts); values are
    // always escaped bindings, never SQL text, so this lets no value add a statement.
    multipleStatements: withDatabase,
    connectTimeout: timeouts.connectMs,
  };
  if (withDatabase) connection.database = config.database;
  if (config.socket) {
    connection.socketPath = config.socket;
  } else {
    connection.host = config.host || 'localhost';
    connection.port = config.port && config.port > 0 ? config.port : 3306;
  }
  if (ssl && (ssl.key || ssl.cert || ssl.ca || ssl.capath || ssl.cipher || ssl.verifyServerCert !== undefined)) {
    const cas = [readIfSet(ssl.ca), ...readCaDirectory(ssl.capath)].filter((b): b is Buffer => !!b);
    connection.ssl = {
      key: readIfSet(ssl.key),
      cert: readIfSet(ssl.cert),
      ca: cas.length > 0 ? cas : undefined,
      ciphers: ssl.cipher || undefined,
      rejectUnauthorized: ssl.verifyServerCert ?? false,
    };
  }
  return connection;
}

function postgresConnection(config: PostgresConfig, database: string, timeouts: DatabaseTimeouts = DEFAULT_TIMEOUTS): Record<string, unknown> {
  const connection: Record<string, unknown> = {
    host: config.hostaddr || config.host || 'localhost',
    port: config.port && config.port > 0 ? config.port : 5432,
    user: config.user,
    password: config.password ?? readPassfile(config),
    database,
    // Covers TCP connect, TLS, authentication and the first ReadyForQuery.
    connectionTimeoutMillis: timeouts.connectMs,
    // Sent as a start-up parameter: no extra round trip per connection.
    statement_timeout: timeouts.statementMs,
  };
  if (config.sslmode && config.sslmode !== 'disable') {
    connection.ssl = {
      rejectUnauthorized: config.sslmode === 'verify-ca' || config.sslmode === 'verify-full',
      cert: readIfSet(config.sslcert),
      key: readIfSet(config.sslkey),
      passphrase: config.sslpassword || undefined,
      ca: readIfSet(config.sslrootcert),
    };
  }
  return connection;
}

/** libpq's passfile format: host:port:database:user:password, '*' as wildcard. */
function readPassfile(config: PostgresConfig): string | undefined {
  if (!config.passfile) return undefined;
  const host = config.hostaddr || config.host || 'localhost';
  const port = String(config.port || 5432);
  for (const line of fs.readFileSync(config.passfile, 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/(?<!\\):/).map((f) => f.replace(/\\(.)/g, '$1'));
    if (fields.length < 5) continue;
    const [h, p, d, u, pw] = fields;
    const match = (pattern: string, value: string | undefined) => pattern === '*' || pattern === value;
    if (match(h, host) && match(p, port) && match(d, config.dbname) && match(u, config.user)) return pw;
  }
  return undefined;
}

/**
 * One synchronous better-sqlite3 connection in this thread: a private in-memory database, or
 * a file whose statements this thread runs itself (the store threads of src/threads/, which
 * each hold one on a file the main thread prepared). Files are in WAL mode, as the worker
 * client's, so readers in other threads run beside the one writer.
 */
export function inProcessSqliteKnexConfig(config: SqliteConfig, timeouts: DatabaseTimeouts = DEFAULT_TIMEOUTS): Knex.Config {
  const guard = { dialect: config.kind, noAnswerMs: 0 };
  const busyTimeoutMs = sqliteBusyTimeoutMs(timeouts);
  const wal = config.filename !== ':memory:' && !config.readonly;
  return {
    log: QUIET_LOG,
    compileSqlOnError: false,
    acquireConnectionTimeout: timeouts.connectMs + (timeouts.statementMs || 60_000),
    client: guardedClient(withUnitFrames(withPreparedStatementCache(knexDialectClient('sqlite'))), guard),
    connection: { filename: config.filename, options: { readonly: !!config.readonly } },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
        try {
          conn.pragma(`busy_timeout = ${busyTimeoutMs}`);
          if (wal) conn.pragma('journal_mode = WAL');
          done(null, conn);
        } catch (e) {
          done(e as Error, conn);
        }
      },
    },
  };
}

/** SQLite waits this long for another connection's lock (the statement timeout, else a minute). */
export function sqliteBusyTimeoutMs(timeouts: DatabaseTimeouts): number {
  return timeouts.statementMs > 0 ? Math.round(timeouts.statementMs) : 60_000;
}

/** SQLite worker threads per process (the worker client's pool, or the store threads): readers beside the writer, without crowding the cores. */
export function sqliteThreads(poolMax = DEFAULT_POOL_MAX): number {
  return Math.max(2, Math.min(SQLITE_MAX_THREADS, poolMax));
}

/** Knex configuration for the metadata database itself. */
export function knexConfig(config: DatabaseConfig, poolMax = DEFAULT_POOL_MAX, timeouts: DatabaseTimeouts = DEFAULT_TIMEOUTS): Knex.Config {
  const guard = { dialect: config.kind, noAnswerMs: timeouts.statementMs > 0 ? timeouts.statementMs + NO_ANSWER_SLACK_MS : 0 };
  const common = {
    log: QUIET_LOG,
    // The SQL stays out of error messages (driver_error_facts.ts keeps the driver's words):
    // no need to render every binding of a failed statement into a string.
    compileSqlOnError: false,
    // Waiting for a pooled connection: a new one may take connectMs, a busy one a statement.
    acquireConnectionTimeout: timeouts.connectMs + (timeouts.statementMs || 60_000),
  };
  switch (config.kind) {
    case 'sqlite': {
      const busyTimeoutMs = sqliteBusyTimeoutMs(timeouts);
      const wal = config.filename !== ':memory:' && !config.readonly;
      if (config.filename !== ':memory:') {
        // A file: each connection a worker thread (sqlite_worker_client.ts), so a heavy query
        // does not hold the event loop; WAL lets readers run beside the one writer.
        return {
          ...common,
          client: guardedClient(withUnitFrames(sqliteWorkerClient(knexDialectClient('sqlite'), { busyTimeoutMs, wal })), guard),
          connection: { filename: config.filename, options: { readonly: !!config.readonly } },
          useNullAsDefault: true,
          pool: { min: 1, max: sqliteThreads(poolMax) },
        };
      }
      // A private in-memory database exists only in its one connection.
      return inProcessSqliteKnexConfig(config, timeouts);
    }
    case 'mysql':
      return {
        ...common,
        client: guardedClient(withUnitFrames(withFoldedBegin(latin1WireClient(knexDialectClient('mysql')))), guard),
        connection: mysqlConnection(config, true, timeouts),
        pool: { min: 0, max: Math.max(2, poolMax), afterCreate: mysqlStatementTimeout(timeouts) },
      };
    case 'postgres':
      return {
        ...common,
        client: guardedClient(withUnitFrames(knexDialectClient('postgres')), guard),
        connection: postgresConnection(config, config.dbname, timeouts),
        pool: { min: 0, max: Math.max(2, poolMax) },
      };
  }
}

interface Mysql2Connection {
  query(sql: string, callback: (error: (Error & { errno?: number }) | null) => void): void;
}

/**
 * Per new MySQL-family session: the statement timeout, MariaDB's max_statement_time (seconds),
 * else MySQL's and TiDB's max_execution_time (milliseconds, reads only).
 */
function mysqlStatementTimeout(timeouts: DatabaseTimeouts) {
  const seconds = (timeouts.statementMs / 1000).toFixed(3);
  return (conn: Mysql2Connection, done: (err: Error | null, conn: unknown) => void) => {
    conn.query(`SET SESSION max_statement_time = ${seconds}`, (error) => {
      if (!error) return done(null, conn);
      // 1193: unknown system variable (not MariaDB).
      if (error.errno !== 1193) return done(error, conn);
      conn.query(`SET SESSION max_execution_time = ${Math.round(timeouts.statementMs)}`, (fallback) =>
        done(fallback && fallback.errno !== 1193 ? fallback : null, conn),
      );
    });
  };
}

/** A short-lived connection to the server without the metadata database selected. */
export function serverLevelKnexConfig(config: MysqlConfig | PostgresConfig, timeouts: DatabaseTimeouts = DEFAULT_TIMEOUTS): Knex.Config {
  if (config.kind === 'mysql') {
    return { client: latin1WireClient(knexDialectClient('mysql')), log: QUIET_LOG, connection: mysqlConnection(config, false, timeouts), pool: { min: 0, max: 1 } };
  }
  return { client: 'pg', log: QUIET_LOG, connection: postgresConnection(config, 'postgres', timeouts), pool: { min: 0, max: 1 } };
}

/** Where the server lives, for messages (never includes credentials). */
export function describeDatabase(config: DatabaseConfig): string {
  switch (config.kind) {
    case 'sqlite':
      return `SQLite ${config.filename}`;
    case 'mysql':
      return config.socket
        ? `MySQL socket ${config.socket} database ${config.database}`
        : `MySQL ${config.host || 'localhost'}:${config.port || 3306} database ${config.database}`;
    case 'postgres':
      return `PostgreSQL ${config.hostaddr || config.host || 'localhost'}:${config.port || 5432} database ${config.dbname}`;
  }
}
