import type { Dialect } from './config';

/**
 * What a driver error means for MLMD, independent of driver. The codes are the drivers'
 * documented ones: MySQL/MariaDB errno (and TiDB's own, which MySQL-compatible clients see as
 * errno too), PostgreSQL SQLSTATE, SQLite result codes.
 */
export type DbErrorKind =
  | 'unique_violation'
  | 'deadlock'
  | 'lock_timeout'
  | 'serialization'
  | 'busy'
  /** The connection is gone or never came up: the database restarted, killed us, or is unreachable. */
  | 'connection'
  /** A statement ran past the database's own statement timeout (the database answered). */
  | 'statement_timeout'
  /** A value or statement larger than the database accepts. */
  | 'too_large'
  | 'access_denied'
  | 'unknown_database'
  | 'other';

interface DriverError {
  code?: string;
  errno?: number;
  message?: string;
  /** mysql2: the connection cannot be used any more (lost, killed, protocol error). */
  fatal?: boolean;
  /** Set by our Knex clients (driver_error_facts.ts): the driver's message before Knex prefixed the SQL. */
  driverMessage?: string;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ENOENT', // unix socket path missing
  // Ours (statement_watchdog.ts, transaction_runner.ts): the database did not answer in time.
  'MLMD_DB_NO_ANSWER',
  'MLMD_DB_NO_CONNECTION',
]);

/**
 * Messages of drivers that raise "the connection is gone" without a code: mysql2 when a
 * command is queued on a closed connection, pg when the socket ends under a query or when
 * its connect timeout fires.
 */
const CONNECTION_MESSAGES = [
  /Can't add new command when connection is in closed state/,
  /Connection lost: The server closed the connection/,
  /Connection terminated/,
  /Client has encountered a connection error and is not queryable/,
  /Client was closed and is not queryable/,
  /^timeout expired$/,
  /Query read timeout/,
  /Knex: Timeout acquiring a connection/,
  /Unable to acquire a connection/,
];

/** MySQL/MariaDB errnos that end the session (the connection is useless afterwards). */
const MYSQL_CONNECTION_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1053, // ER_SERVER_SHUTDOWN
  1077, // ER_NORMAL_SHUTDOWN
  1152, // ER_ABORTING_CONNECTION
  1927, // MariaDB ER_CONNECTION_KILLED
  2002, // CR_CONNECTION_ERROR
  2003, // CR_CONN_HOST_ERROR
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
  4031, // MySQL 8: disconnected by the server because of inactivity
  // TiDB: the cluster's placement driver, storage nodes or regions are unreachable for now.
  9001, // PD server timeout
  9002, // TiKV server timeout
  9005, // region unavailable
]);

/** Transient conflicts that a fresh run of the whole transaction resolves. */
const MYSQL_RETRYABLE_ERRNOS: Record<number, DbErrorKind> = {
  1213: 'deadlock', // ER_LOCK_DEADLOCK
  1205: 'lock_timeout', // ER_LOCK_WAIT_TIMEOUT
  1020: 'serialization', // ER_CHECKREAD: record changed since last read (MariaDB snapshot isolation)
  // TiDB (https://docs.pingcap.com/tidb/stable/error-codes):
  9007: 'serialization', // write conflict (optimistic transactions)
  8002: 'serialization', // SELECT FOR UPDATE write conflict
  8022: 'serialization', // transaction commit failed, retry the transaction
  8028: 'serialization', // information schema changed during the transaction
  9003: 'busy', // TiKV server is busy
  9004: 'busy', // resolve lock timeout
  8176: 'busy', // TiKV server busy (newer spelling)
};

/** Values and statements the database will not take, whatever the retry. */
const MYSQL_TOO_LARGE_ERRNOS = new Set([
  1153, // ER_NET_PACKET_TOO_LARGE: a packet over max_allowed_packet
  1406, // ER_DATA_TOO_LONG: value longer than the column (strict mode)
  1118, // ER_TOO_BIG_ROWSIZE
  1301, // ER_WARN_ALLOWED_PACKET_OVERFLOWED
  8025, // TiDB: entry too large (txn-entry-size-limit)
  8004, // TiDB: transaction too large
]);

const MYSQL_STATEMENT_TIMEOUT_ERRNOS = new Set([
  1969, // MariaDB ER_STATEMENT_TIMEOUT (max_statement_time)
  3024, // MySQL ER_QUERY_TIMEOUT (max_execution_time)
]);

/** The driver's own message, without the SQL Knex puts in front of it. */
export function driverMessageOf(error: unknown): string {
  const e = (error ?? {}) as DriverError;
  const message = e.driverMessage ?? e.message ?? String(error);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

export function classifyDbError(dialect: Dialect, error: unknown): DbErrorKind {
  const e = (error ?? {}) as DriverError;
  const code = e.code ?? '';
  const message = e.driverMessage ?? e.message ?? '';
  switch (dialect) {
    case 'mysql': {
      const errno = e.errno ?? -1;
      if (errno === 1062 || code === 'ER_DUP_ENTRY') return 'unique_violation';
      if (MYSQL_RETRYABLE_ERRNOS[errno]) return MYSQL_RETRYABLE_ERRNOS[errno];
      // Before `fatal`: the server closes the connection after a packet that is too large,
      // and the client must learn that the value, not the network, is the problem.
      if (MYSQL_TOO_LARGE_ERRNOS.has(errno)) return 'too_large';
      if (MYSQL_STATEMENT_TIMEOUT_ERRNOS.has(errno)) return 'statement_timeout';
      if (errno === 1045 || errno === 1044) return 'access_denied';
      if (errno === 1049) return 'unknown_database';
      if (MYSQL_CONNECTION_ERRNOS.has(errno)) return 'connection';
      break;
    }
    case 'postgres':
      if (code === '23505') return 'unique_violation';
      if (code === '40P01') return 'deadlock';
      if (code === '40001') return 'serialization';
      if (code === '55P03') return 'lock_timeout';
      if (code === '57014' && /statement timeout/i.test(message)) return 'statement_timeout';
      if (code === '54000' || code === '22001') return 'too_large'; // program_limit_exceeded, string_data_right_truncation
      if (code === '28P01' || code === '28000') return 'access_denied';
      if (code === '3D000') return 'unknown_database';
      // 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now.
      if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return 'connection';
      break;
    case 'sqlite':
      if (code.startsWith('SQLITE_CONSTRAINT_UNIQUE') || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        return 'unique_violation';
      }
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
      if (code === 'SQLITE_TOOBIG') return 'too_large';
      if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR')) return 'connection';
      break;
  }
  if (CONNECTION_CODES.has(code)) return 'connection';
  if (e.fatal === true) return 'connection';
  if (CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) return 'connection';
  return 'other';
}

/** Transient conflicts worth running the whole transaction again for. */
export function isRetryable(kind: DbErrorKind): boolean {
  return kind === 'deadlock' || kind === 'lock_timeout' || kind === 'serialization' || kind === 'busy';
}
