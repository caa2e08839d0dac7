import { afterAll, beforeAll, expect, it } from 'vitest';
import { MLMD_MIGRATIONS } from '../../migrations';
import { openDatabase, type Database } from '../../src/database';
import type { DatabaseConfig } from '../../src/database/config';
import { MetadataStore } from '../../src/store/metadata_store';
import { expectWritesComplete, runLoad, unexpected } from './fault_load';
import { describeServerBackends } from './server_backends';

/**
 * The database kills the server's connections while they are busy (an operator's KILL,
 * a failover, pg_terminate_backend): every call is OK, UNAVAILABLE or ABORTED, never INTERNAL,
 * and no message carries SQL. Three rounds under 8 clients (4 writers, 4 readers).
 */
describeServerBackends('connections killed by the database while busy', (backend) => {
  let config: DatabaseConfig;
  let db: Database;
  let store: MetadataStore;
  beforeAll(async () => {
    config = await backend.freshDatabaseConfig();
    db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 8 });
    store = new MetadataStore(db);
  });
  afterAll(() => db?.close());

  async function killOurConnections(): Promise<number> {
    const admin = backend.admin();
    if (backend.dialect === 'mysql') {
      const [rows] = (await admin.raw('SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()', [
        (config as { database: string }).database,
      ])) as [Array<{ id: number }>];
      for (const { id } of rows) await admin.raw(`KILL ${Number(id)}`).catch(() => undefined);
      return rows.length;
    }
    const result = (await admin.raw('SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()', [
      (config as { dbname: string }).dbname,
    ])) as { rows: unknown[] };
    return result.rows.length;
  }

  it('3 rounds of kills under 8 clients: no INTERNAL, every acknowledged write complete, calls OK again right after', async () => {
    const { typeId } = await store.call('putArtifactType', { artifactType: { name: 'KilledConnectionsType' } } as never);
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const load = runLoad(store, Number(typeId), { writers: 4, readers: 4, stop: stopped, tag: 'killed' });
    let killed = 0;
    for (let round = 0; round < 3; round++) {
      await new Promise((r) => setTimeout(r, 400));
      killed += await killOurConnections();
    }
    await new Promise((r) => setTimeout(r, 600));
    const lastKill = Date.now() - 600;
    stop();
    const { outcomes, acknowledged } = await load;

    expect(killed).toBeGreaterThan(0);
    expect(unexpected(outcomes)).toEqual([]);
    expect(outcomes.filter((o) => o.message && /\b(select|insert|update|delete|rollback|commit)\b/i.test(o.message))).toEqual([]);
    // The connections were busy: some calls did notice (a kill between calls goes unseen).
    expect(outcomes.filter((o) => o.code === 0).length).toBeGreaterThan(20);
    // Recovery: the calls of the last 300 ms (well after the last kill) are all OK.
    expect(outcomes.filter((o) => o.at > lastKill + 300 && o.code !== 0)).toEqual([]);
    await expectWritesComplete(db, 'killed', acknowledged);
  });
});
