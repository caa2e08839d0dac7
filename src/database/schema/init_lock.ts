import fs from 'node:fs';
import type { Knex } from 'knex';
import type { DatabaseConfig } from '../config';

/**
 * A database-wide mutex held while one process creates or upgrades the schema, so replicas
 * started together against an empty database wait for the winner instead of racing it
 * (upstream answers such races with ABORTED and crash-loops). MySQL and PostgreSQL use their
 * session-level named/advisory locks on a dedicated connection; SQLite, being a file, uses a
 * lock file beside it.
 */
const LOCK_NAME = 'ml_metadata_schema_init';
// An arbitrary fixed 63-bit key for pg_advisory_lock: "mlmdinit" in ASCII.
const PG_LOCK_KEY = '7812010912345678';
const WAIT_SECONDS = 300;

export async function withSchemaInitLock<T>(knex: Knex, config: DatabaseConfig, work: () => Promise<T>): Promise<T> {
  if (config.kind === 'sqlite') {
    return config.filename === ':memory:' ? work() : withLockFile(`${config.filename}.init-lock`, work);
  }
  const client = knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<void> };
  const connection = await client.acquireConnection();
  try {
    if (config.kind === 'mysql') {
      const [rows] = await knex.raw('SELECT GET_LOCK(?, ?) AS got', [LOCK_NAME, WAIT_SECONDS]).connection(connection);
      if (Number((rows as { got: number }[])[0]?.got) !== 1) {
        throw new Error(`timed out after ${WAIT_SECONDS}s waiting for another server to initialise the schema`);
      }
    } else {
      await knex.raw('SELECT pg_advisory_lock(?::bigint)', [PG_LOCK_KEY]).connection(connection);
    }
    try {
      return await work();
    } finally {
      const unlock = config.kind === 'mysql' ? 'SELECT RELEASE_LOCK(?)' : 'SELECT pg_advisory_unlock(?::bigint)';
      await knex
        .raw(unlock, [config.kind === 'mysql' ? LOCK_NAME : PG_LOCK_KEY])
        .connection(connection)
        .catch(() => undefined);
    }
  } finally {
    await client.releaseConnection(connection);
  }
}

async function withLockFile<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WAIT_SECONDS * 1000;
  for (;;) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (lockHolderIsGone(lockPath)) {
        fs.rmSync(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${lockPath}; remove it if no server is starting`);
      }
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}

/** A lock file left by a process that died (same machine: SQLite files are local). */
function lockHolderIsGone(lockPath: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(lockPath, 'utf8'));
  } catch {
    return false; // being written right now
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
