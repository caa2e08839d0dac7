import type { Dialect } from './config';

/**
 * What a driver error means for MLMD, independent of driver. The codes are the drivers'
 * documented ones: MySQL/MariaDB errno, PostgreSQL SQLSTATE, SQLite result codes.
 */
export type DbErrorKind =
  | 'unique_violation'
  | 'deadlock'
  | 'lock_timeout'
  | 'serialization'
  | 'busy'
  | 'connection'
  | 'access_denied'
  | 'unknown_database'
  | 'other';

interface DriverError {
  code?: string;
  errno?: number;
  message?: string;
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
  'ER_CON_COUNT_ERROR',
  'ENOENT', // unix socket path missing
]);

export function classifyDbError(dialect: Dialect, error: unknown): DbErrorKind {
  const e = (error ?? {}) as DriverError;
  const code = e.code ?? '';
  if (CONNECTION_CODES.has(code)) return 'connection';
  if (/Knex: Timeout acquiring a connection/.test(e.message ?? '')) return 'connection';
  switch (dialect) {
    case 'mysql':
      if (e.errno === 1062 || code === 'ER_DUP_ENTRY') return 'unique_violation';
      if (e.errno === 1213) return 'deadlock';
      if (e.errno === 1205) return 'lock_timeout';
      if (e.errno === 1045 || e.errno === 1044) return 'access_denied';
      if (e.errno === 1049) return 'unknown_database';
      if (e.errno === 2006 || e.errno === 2013) return 'connection';
      return 'other';
    case 'postgres':
      if (code === '23505') return 'unique_violation';
      if (code === '40P01') return 'deadlock';
      if (code === '40001') return 'serialization';
      if (code === '55P03') return 'lock_timeout';
      if (code === '28P01' || code === '28000') return 'access_denied';
      if (code === '3D000') return 'unknown_database';
      if (code.startsWith('08') || code === '57P01' || code === '57P03') return 'connection';
      return 'other';
    case 'sqlite':
      if (code.startsWith('SQLITE_CONSTRAINT_UNIQUE') || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        return 'unique_violation';
      }
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY')) return 'busy';
      if (code === 'SQLITE_CANTOPEN') return 'connection';
      return 'other';
  }
}

/** Transient conflicts worth running the whole transaction again for. */
export function isRetryable(kind: DbErrorKind): boolean {
  return kind === 'deadlock' || kind === 'lock_timeout' || kind === 'serialization' || kind === 'busy';
}
