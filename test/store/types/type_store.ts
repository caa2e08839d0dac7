import { afterAll, beforeAll } from 'vitest';
import { openDatabase, type Database } from '../../../src/database';
import { MLMD_TABLES } from '../../../src/database/tables';
import type { MlmdError } from '../../../src/store/errors';
import { MetadataStore } from '../../../src/store/metadata_store';
import { describeEachBackend, type TestBackend } from '../../support/backends';

export interface TypeStoreContext {
  backend: TestBackend;
  db: Database;
  store: MetadataStore;
}

/**
 * Declares `body` once per backend (SQLite, MariaDB, PostgreSQL), each over a fresh MLMD
 * database with the store on top. Tests in one file share the database, so they use
 * `uniqueName` for every type they create.
 */
export function describeTypeStore(title: string, body: (ctx: () => TypeStoreContext) => void): void {
  describeEachBackend(title, (backend) => {
    let ctx: TypeStoreContext | undefined;
    beforeAll(async () => {
      const config = await backend.freshDatabaseConfig();
      const db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, poolMax: 8 });
      ctx = { backend, db, store: new MetadataStore(db) };
    });
    afterAll(async () => {
      await ctx?.db.close();
    });
    body(() => ctx!);
  });
}

let counter = 0;
export function uniqueName(prefix = 'type'): string {
  counter += 1;
  return `${prefix}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Rows in every MLMD table, to prove a rejected call left the database as it was. */
export async function rowCounts(db: Database): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of MLMD_TABLES) {
    const [{ n }] = (await db.knex(db.table(table)).count({ n: '*' })) as { n: number | string }[];
    counts[table] = Number(n);
  }
  return counts;
}

/** Runs `work` and returns how many SQL statements Knex sent meanwhile. */
export async function countStatements<T>(db: Database, work: () => Promise<T>): Promise<{ result: T; statements: number }> {
  let statements = 0;
  const listener = () => {
    statements += 1;
  };
  db.knex.on('query', listener);
  try {
    const result = await work();
    return { result, statements };
  } finally {
    db.knex.off('query', listener);
  }
}

/** The error of a call expected to fail, after checking that no table changed. */
export async function rejection(db: Database, call: () => Promise<unknown>): Promise<MlmdError> {
  const before = await rowCounts(db);
  const outcome = await call().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected the call to fail, it answered ${JSON.stringify(outcome.value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
  const after = await rowCounts(db);
  if (JSON.stringify(after) !== JSON.stringify(before)) {
    throw new Error(`a rejected call changed the database: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
  }
  return outcome.error as MlmdError;
}
