import { afterAll, expect, it } from 'vitest';
import { MLMD_MIGRATIONS } from '../../migrations';
import { openDatabase, type Database } from '../../src/database';
import { StatusCode } from '../../src/errors';
import { MetadataStore } from '../../src/store/metadata_store';
import { dedicatedServer } from './dedicated_server';
import { expectWritesComplete, runLoad, unexpected } from './fault_load';
import { describeServerBackends } from './server_backends';

const OUTAGE_MS = 2_000;

/**
 * The database server is killed (no clean shutdown) under 4 writers and 4 readers and comes
 * back 2 s later on the same data: during the outage calls get only UNAVAILABLE (or ABORTED),
 * never INTERNAL; once it is back every call is OK within 5 s; every acknowledged write is
 * present and complete, and no write is half there.
 */
describeServerBackends('database server killed and restarted under load', (backend) => {
  const dedicated = dedicatedServer(backend.name as 'mariadb' | 'postgres');
  let db: Database | undefined;
  afterAll(() => db?.close());

  it('outage: only UNAVAILABLE/ABORTED; after restart all OK within 5 s; acknowledged writes complete', async () => {
    db = await openDatabase(dedicated.config('mlmd_restart'), {
      schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS,
      poolMax: 8,
      timeouts: { connectMs: 1_000, statementMs: 3_000 },
    });
    const store = new MetadataStore(db);
    const { typeId } = await store.call('putArtifactType', { artifactType: { name: 'RestartType' } } as never);
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const load = runLoad(store, Number(typeId), { writers: 4, readers: 4, stop: stopped, tag: 'restart' });

    await new Promise((r) => setTimeout(r, 500));
    const killedAt = Date.now();
    await dedicated.server().kill();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await dedicated.server().restart();
    const backAt = Date.now();
    let lastFailure = backAt;
    await new Promise((r) => setTimeout(r, 5_000));
    stop();
    const { outcomes, acknowledged } = await load;

    const during = outcomes.filter((o) => o.at >= killedAt && o.at <= backAt);
    expect(during.filter((o) => o.code === StatusCode.UNAVAILABLE).length).toBeGreaterThan(0);
    expect(unexpected(outcomes)).toEqual([]);
    for (const o of outcomes) if (o.code !== StatusCode.OK && o.at > lastFailure) lastFailure = o.at;
    // Every call from 5 s after the restart on is OK, and calls are made then.
    expect(lastFailure - backAt).toBeLessThan(5_000);
    const after = outcomes.filter((o) => o.at > backAt + 3_500);
    expect(after.length).toBeGreaterThan(10);
    expect(after.filter((o) => o.code !== StatusCode.OK)).toEqual([]);
    await expectWritesComplete(db, 'restart', acknowledged);
  }, 60_000);
});
