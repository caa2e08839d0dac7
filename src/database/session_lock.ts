import type { Database } from './database';

/**
 * A named lock held by one database session at a time, across every server on the same
 * database: GET_LOCK on MySQL/MariaDB (names are server-wide, so the database name is part
 * of it), a session-level advisory lock on PostgreSQL (scoped to the database already).
 * SQLite has no such lock: a SQLite database is served by a single process, and its
 * write transactions exclude one another anyway.
 *
 * The lock lives as long as the session, so a connection is taken out of the pool and kept
 * until `release`. If the process dies, the database ends the session and frees the lock.
 */
export interface SessionLock {
  release(): Promise<void>;
}

/** Tries once, without waiting: the lock, or undefined when another session holds it. */
export async function tryAcquireSessionLock(db: Database, name: string): Promise<SessionLock | undefined> {
  if (db.dialect === 'sqlite') return { release: () => Promise.resolve() };
  const client = db.knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<void> };
  const connection = await client.acquireConnection();
  const raw = (sql: string, bindings: readonly unknown[]) => db.knex.raw(sql, bindings as never[]).connection(connection as never);
  let got = false;
  try {
    if (db.dialect === 'mysql') {
      const [rows] = (await raw("SELECT GET_LOCK(CONCAT(?, DATABASE()), 0) AS got", [`${name}:`])) as unknown as [{ got: unknown }[]];
      got = Number(rows[0].got) === 1;
    } else {
      const result = (await raw('SELECT pg_try_advisory_lock(hashtext(?)) AS got', [name])) as unknown as { rows: { got: boolean }[] };
      got = result.rows[0].got === true;
    }
  } catch (e) {
    await client.releaseConnection(connection);
    throw e;
  }
  if (!got) {
    await client.releaseConnection(connection);
    return undefined;
  }
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      try {
        if (db.dialect === 'mysql') await raw('SELECT RELEASE_LOCK(CONCAT(?, DATABASE()))', [`${name}:`]);
        else await raw('SELECT pg_advisory_unlock(hashtext(?))', [name]);
      } finally {
        await client.releaseConnection(connection);
      }
    },
  };
}
