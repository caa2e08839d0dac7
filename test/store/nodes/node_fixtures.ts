import { afterAll, beforeAll, describe } from 'vitest';
import { openDatabase, type Database } from '../../../src/database';
import { MLMD_TABLES } from '../../../src/database/tables';
import { MetadataStore } from '../../../src/store/metadata_store';

export interface StoreUnderTest {
  db: Database;
  store: MetadataStore;
}

/**
 * Runs `body` against a fresh SQLite database and, when MLMD_TEST_MYSQL_URL /
 * MLMD_TEST_POSTGRES_URL name reachable empty databases, against those too.
 */
export function describeNodeStore(name: string, body: (ctx: () => StoreUnderTest) => void): void {
  const backends: [string, () => Promise<Database>][] = [
    ['sqlite', () => openDatabase({ kind: 'sqlite', filename: ':memory:' }, { schema: { enableUpgrade: false, downgradeToVersion: -1 } })],
  ];
  const mysql = process.env.MLMD_TEST_MYSQL_URL;
  if (mysql) {
    const u = new URL(mysql);
    backends.push([
      'mysql',
      () =>
        openDatabase(
          { kind: 'mysql', host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) },
          { schema: { enableUpgrade: false, downgradeToVersion: -1 } },
        ),
    ]);
  }
  const postgres = process.env.MLMD_TEST_POSTGRES_URL;
  if (postgres) {
    const u = new URL(postgres);
    backends.push([
      'postgres',
      () =>
        openDatabase(
          { kind: 'postgres', host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), dbname: u.pathname.slice(1) },
          { schema: { enableUpgrade: false, downgradeToVersion: -1 } },
        ),
    ]);
  }
  for (const [backend, open] of backends) {
    describe(`${name} [${backend}]`, () => {
      let ctx: StoreUnderTest;
      beforeAll(async () => {
        const db = await open();
        ctx = { db, store: new MetadataStore(db) };
      });
      afterAll(() => ctx.db.close());
      body(() => ctx);
    });
  }
}

const TYPE_KIND = { execution: 0, artifact: 1, context: 2 } as const;

/** PropertyType numbers. */
export const P = { INT: 1, DOUBLE: 2, STRING: 3, STRUCT: 4, PROTO: 5, BOOLEAN: 6 } as const;

/**
 * Creates a type as plain rows (type RPCs are another area's), with a name unique per call.
 * Returns its id as the bigint the wire uses.
 */
export async function createType(
  db: Database,
  kind: keyof typeof TYPE_KIND,
  properties: Record<string, number> = {},
  options: { name?: string; version?: string } = {},
): Promise<{ id: bigint; name: string }> {
  const name = options.name ?? `t_${kind}_${Math.random().toString(36).slice(2, 10)}`;
  const id = await db.transaction(async (tx) => {
    const [typeId] = await tx.insertReturningIds('Type', [{ name, version: options.version ?? null, type_kind: TYPE_KIND[kind] }]);
    const props = Object.entries(properties).map(([p, dataType]) => ({ type_id: typeId, name: p, data_type: dataType }));
    if (props.length > 0) await tx.knex(tx.table('TypeProperty')).insert(props);
    return typeId;
  });
  return { id: BigInt(id), name };
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

/** SQL statements Knex issues while `work` runs. */
export async function countStatements(db: Database, work: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const listener = () => {
    count++;
  };
  db.knex.on('query', listener);
  try {
    await work();
  } finally {
    db.knex.removeListener('query', listener);
  }
  return count;
}
