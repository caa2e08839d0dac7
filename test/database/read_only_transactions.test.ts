import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/database';
import { NO_OP_OBSERVER, type RetryReason } from '../../src/database/observer';
import { MetadataStore } from '../../src/store/metadata_store';
import { statementsDuring } from '../support/store_assertions';
import { describeEachBackend } from '../support/backends';
import { MLMD_MIGRATIONS } from '../../migrations';

/** The deadlock each backend's driver reports, as the transaction runner classifies it. */
const DEADLOCK: Record<string, object> = {
  mysql: { errno: 1213, message: 'Deadlock found when trying to get lock' },
  postgres: { code: '40P01', message: 'deadlock detected' },
  sqlite: {},
};

describeEachBackend('read-only transactions (TransactionOptions.readOnly)', (backend) => {
  let db: Database;
  const retries: RetryReason[] = [];
  beforeAll(async () => {
    const observer = { ...NO_OP_OBSERVER, transactionRetried: (reason: RetryReason) => retries.push(reason) };
    db = await openDatabase(
      await backend.freshDatabaseConfig(),
      { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 4 },
      observer,
    );
  });
  afterAll(async () => {
    await db?.close();
  });

  it('begins with one statement, read-only where the dialect has it, and read RPCs use it', async () => {
    const store = new MetadataStore(db);
    const { sql } = await statementsDuring(db, () => store.call('getArtifactTypes', {}));
    // (On MySQL the BEGIN shares the packet of the unit's first statement: mysql_folded_begin.ts.)
    const expected = { mysql: /^START TRANSACTION READ ONLY; select /i, postgres: /^BEGIN TRANSACTION ISOLATION LEVEL repeatable read READ ONLY;?$/i, sqlite: /^BEGIN;?$/i };
    expect(sql[0]).toMatch(expected[backend.dialect]);
    expect(sql.filter((s) => /READ ONLY|^BEGIN|^START/i.test(s))).toHaveLength(1);
    // A write RPC begins a normal transaction; a type write on MySQL asks for READ COMMITTED
    // first (a check under the type lock, TransactionOptions.checksUnderLock).
    // (On MySQL and PostgreSQL its unlocked check runs before the transaction, Tx.unframed.)
    const write = await statementsDuring(db, () => store.call('putArtifactType', { artifactType: { name: 'read_only_probe' } }));
    const frame = write.sql.filter((s) => /^(SET TRANSACTION|BEGIN|START)/i.test(s));
    // On SQLite a write takes the write lock at BEGIN (sqlite_worker_client.ts).
    if (backend.dialect === 'mysql') {
      expect(frame).toHaveLength(1);
      expect(frame[0]).toMatch(/^SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION; select /);
    } else {
      expect(frame).toHaveLength(1);
      expect(frame[0]).toMatch(backend.dialect === 'sqlite' ? /^BEGIN IMMEDIATE;?$/i : /^BEGIN;?$/i);
    }
    if (backend.dialect !== 'sqlite') expect(write.sql[0]).toMatch(/^select/i);
  });

  it.runIf(backend.dialect !== 'sqlite')('refuses a write inside a read-only transaction', async () => {
    await expect(
      db.transaction((tx) => tx.knex(tx.table('Type')).insert({ name: 'written_in_read_only', type_kind: 1 }), { readOnly: true }),
    ).rejects.toThrow(/read.only/i);
  });

  it.runIf(backend.dialect !== 'sqlite')('reads one snapshot for the whole unit of work', async () => {
    const count = async (knex: Parameters<Parameters<Database['transaction']>[0]>[0]['knex']) => Number(((await knex(db.table('Type')).count({ n: '*' })) as { n: number | string }[])[0].n);
    const seen = await db.transaction(
      async (tx) => {
        const before = await count(tx.knex);
        // Committed by another connection while this unit is open.
        await db.knex(db.table('Type')).insert({ name: `snapshot_probe_${Date.now()}`, type_kind: 1 });
        const after = await count(tx.knex);
        return { before, after };
      },
      { readOnly: true },
    );
    expect(seen.after).toBe(seen.before);
    expect(await count(db.knex)).toBe(seen.before + 1);
  });

  it.runIf(backend.dialect !== 'sqlite')('is not re-run on a write conflict, unlike a write', async () => {
    const failing = (attempts: { n: number }) => async () => {
      attempts.n++;
      throw Object.assign(new Error('conflict'), DEADLOCK[backend.dialect]);
    };
    const read = { n: 0 };
    const retriesBefore = retries.length;
    await expect(db.transaction(failing(read), { readOnly: true })).rejects.toMatchObject({ code: 10 });
    expect(read.n).toBe(1);
    expect(retries.length).toBe(retriesBefore);
    const write = { n: 0 };
    await expect(db.transaction(failing(write))).rejects.toMatchObject({ code: 10 });
    expect(write.n).toBeGreaterThan(1);
  });
});
