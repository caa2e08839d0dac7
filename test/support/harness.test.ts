import { afterAll, describe, expect, inject, it } from 'vitest';
import knexFactory, { type Knex } from 'knex';
import { knexConfig } from '../../src/database/knex_config';
import { describeEachBackend } from './backends';

describeEachBackend('test harness', (backend) => {
  const opened: Knex[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((k) => k.destroy()));
  });

  it('hands out a brand-new, empty database on every call', async () => {
    const first = await backend.freshDatabaseConfig();
    const second = await backend.freshDatabaseConfig();
    expect(first.kind).toBe(backend.dialect);
    expect(first).not.toEqual(second);

    const db = knexFactory(knexConfig(first, 2));
    opened.push(db);
    await db.schema.createTable('harness_probe', (t) => {
      t.integer('id').primary();
      t.string('note');
    });
    await db('harness_probe').insert({ id: 1, note: 'written through knex' });
    expect(await db('harness_probe').select('note')).toEqual([{ note: 'written through knex' }]);

    // The second database does not see the first one's table.
    expect(await backend.admin(second).schema.hasTable('harness_probe')).toBe(false);
    // Raw admin access sees what the first connection wrote.
    const [{ n }] = await backend.admin(first)('harness_probe').count({ n: '*' });
    expect(Number(n)).toBe(1);
  });

  it('reports the server version through raw admin access', async () => {
    const config = await backend.freshDatabaseConfig();
    const admin = backend.admin(config);
    const query = {
      sqlite: 'SELECT sqlite_version() AS v',
      mysql: 'SELECT VERSION() AS v',
      postgres: 'SHOW server_version',
    }[backend.dialect];
    const result = await admin.raw(query);
    const rows: Array<Record<string, string>> = backend.dialect === 'mysql' ? result[0] : backend.dialect === 'postgres' ? result.rows : result;
    const version = Object.values(rows[0])[0];
    expect(version).toMatch(/^\d+\.\d+/);
    if (backend.name === 'mariadb') expect(version).toMatch(/MariaDB/);
  });
});

describe('test harness backends', () => {
  // Locally a missing server only skips its backend; CI must never silently lose one.
  it.skipIf(!process.env.CI)('are all available in CI', () => {
    const context = inject('testBackends');
    expect([context.sqlite.available, context.mariadb.available, context.postgres.available]).toEqual([true, true, true]);
  });
});
