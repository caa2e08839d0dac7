import knexFactory from 'knex';
import { afterAll, beforeAll, describe } from 'vitest';
import { openDatabase, type Database } from '../../../src/database';
import type { DatabaseConfig } from '../../../src/database/config';
import { MetadataStore } from '../../../src/store/metadata_store';

export interface StoreUnderTest {
  db: Database;
  store: MetadataStore;
}

/**
 * Backends for the event and context-graph tests: SQLite always; MariaDB/MySQL when
 * MLMD_TEST_MYSQL=host:port:user:password and PostgreSQL when MLMD_TEST_POSTGRES=host:port:user
 * are set. Each suite gets a fresh database, dropped afterwards. (Stands in until the shared
 * multi-backend harness lands.)
 */
function backends(): { name: string; config: (db: string) => DatabaseConfig }[] {
  const list: { name: string; config: (db: string) => DatabaseConfig }[] = [
    { name: 'sqlite', config: () => ({ kind: 'sqlite', filename: ':memory:' }) },
  ];
  const mysql = process.env.MLMD_TEST_MYSQL;
  if (mysql) {
    const [host, port, user, password] = mysql.split(':');
    list.push({ name: 'mysql', config: (database) => ({ kind: 'mysql', host, port: Number(port), user, password, database }) });
  }
  const postgres = process.env.MLMD_TEST_POSTGRES;
  if (postgres) {
    const [host, port, user] = postgres.split(':');
    list.push({ name: 'postgres', config: (dbname) => ({ kind: 'postgres', host, port: Number(port), user, dbname }) });
  }
  return list;
}

async function dropDatabase(config: DatabaseConfig): Promise<void> {
  if (config.kind === 'sqlite') return;
  const admin =
    config.kind === 'mysql'
      ? knexFactory({ client: 'mysql2', connection: { host: config.host, port: config.port, user: config.user, password: config.password } })
      : knexFactory({ client: 'pg', connection: { host: config.host, port: config.port, user: config.user, database: 'postgres' } });
  try {
    await admin.raw(config.kind === 'mysql' ? `DROP DATABASE IF EXISTS \`${config.database}\`` : `DROP DATABASE IF EXISTS "${config.dbname}"`);
  } finally {
    await admin.destroy();
  }
}

export function describeStore(name: string, body: (ctx: () => StoreUnderTest) => void): void {
  for (const backend of backends()) {
    describe(`${name} [${backend.name}]`, () => {
      let ctx: StoreUnderTest;
      const config = backend.config(`mlmd_graph_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`);
      beforeAll(async () => {
        await dropDatabase(config);
        const db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 } });
        ctx = { db, store: new MetadataStore(db) };
      });
      afterAll(async () => {
        await ctx?.db.close();
        await dropDatabase(config);
      });
      body(() => ctx);
    });
  }
}
