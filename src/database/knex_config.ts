import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import pg from 'pg';
import type { DatabaseConfig, MysqlConfig, PostgresConfig } from './config';
import { latin1SessionTypeCast, latin1WireClient } from './mysql_wire_text';
import { withOneStatementReadOnlyBegin } from './mysql_read_only';

const DEFAULT_POOL_MAX = 10;

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

function mysqlConnection(config: MysqlConfig, withDatabase: boolean): Record<string, unknown> {
  const ssl = config.ssl;
  const connection: Record<string, unknown> = {
    user: config.user ?? '',
    password: config.password ?? '',
    // Same session character set as upstream's client library; see mysql_wire_text.ts.
    charset: 'latin1',
    typeCast: latin1SessionTypeCast,
    supportBigNumbers: true,
    bigNumberStrings: false,
    multipleStatements: false,
    connectTimeout: 10_000,
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

function postgresConnection(config: PostgresConfig, database: string): Record<string, unknown> {
  const connection: Record<string, unknown> = {
    host: config.hostaddr || config.host || 'localhost',
    port: config.port && config.port > 0 ? config.port : 5432,
    user: config.user,
    password: config.password ?? readPassfile(config),
    database,
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

/** Knex configuration for the metadata database itself. */
export function knexConfig(config: DatabaseConfig, poolMax = DEFAULT_POOL_MAX): Knex.Config {
  switch (config.kind) {
    case 'sqlite':
      return {
        client: 'better-sqlite3',
        log: QUIET_LOG,
        connection: { filename: config.filename, options: { readonly: !!config.readonly } },
        useNullAsDefault: true,
        // better-sqlite3 is synchronous and SQLite serialises writers anyway: one connection
        // makes every transaction run alone instead of failing with SQLITE_BUSY.
        pool: {
          min: 1,
          max: 1,
          afterCreate: (conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
            try {
              conn.pragma('busy_timeout = 10000');
              if (config.filename !== ':memory:' && !config.readonly) conn.pragma('journal_mode = WAL');
              done(null, conn);
            } catch (e) {
              done(e as Error, conn);
            }
          },
        },
      };
    case 'mysql':
      return {
        client: withOneStatementReadOnlyBegin(latin1WireClient()),
        log: QUIET_LOG,
        connection: mysqlConnection(config, true),
        pool: { min: 0, max: Math.max(2, poolMax) },
      };
    case 'postgres':
      return {
        client: 'pg',
        log: QUIET_LOG,
        connection: postgresConnection(config, config.dbname),
        pool: { min: 0, max: Math.max(2, poolMax) },
      };
  }
}

/** A short-lived connection to the server without the metadata database selected. */
export function serverLevelKnexConfig(config: MysqlConfig | PostgresConfig): Knex.Config {
  if (config.kind === 'mysql') {
    return { client: latin1WireClient(), log: QUIET_LOG, connection: mysqlConnection(config, false), pool: { min: 0, max: 1 } };
  }
  return { client: 'pg', log: QUIET_LOG, connection: postgresConnection(config, 'postgres'), pool: { min: 0, max: 1 } };
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
