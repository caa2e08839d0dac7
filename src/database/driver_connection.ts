import type { Dialect } from './config';

/**
 * The raw driver connections Knex pools, as far as this layer needs them: mysql2 and pg both
 * sit on a net.Socket; better-sqlite3 is an in-process handle with nothing to cut.
 */
interface RawConnection {
  /** Knex's mark for "destroy instead of returning to the pool". */
  __knex__disposed?: unknown;
  /** mysql2 */
  stream?: { destroy?: (error?: Error) => void };
  /** pg */
  connection?: { stream?: { destroy?: (error?: Error) => void } };
}

/**
 * Cuts a connection's socket so that the statement running on it fails now and the database
 * rolls back the open transaction itself (MySQL and PostgreSQL end a session's transaction
 * when its connection goes). Used when waiting for the database is no longer an option: the
 * database does not answer, the caller gave up, or shutdown's grace has passed. The pool sees
 * the mark and destroys the connection instead of handing it out again.
 */
export function severConnection(dialect: Dialect, raw: unknown, reason: Error): void {
  const connection = raw as RawConnection | undefined;
  if (!connection || dialect === 'sqlite') return;
  connection.__knex__disposed ??= reason;
  const socket = dialect === 'mysql' ? connection.stream : connection.connection?.stream;
  try {
    socket?.destroy?.();
  } catch {
    // already closed
  }
}
