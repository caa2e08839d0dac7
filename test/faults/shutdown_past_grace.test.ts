import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MLMD_MIGRATIONS } from '../../migrations';
import { openDatabase, type Database } from '../../src/database';
import type { DatabaseConfig } from '../../src/database/config';
import { MetadataStoreServiceClient } from '../../src/generated/ml_metadata/proto/metadata_store_service';
import { MetadataStore } from '../../src/store/metadata_store';
import { freePort } from '../support/db_servers';
import { databaseFlags, startServerProcess } from './server_process';
import { describeServerBackends } from './server_backends';

const GRACE_S = 1;

/**
 * SIGTERM while 4 writers are blocked on a row lock the database will not release in time:
 * the process exits 0 within the grace period + 1 s, and once the lock is released none of
 * the cancelled writes commit (the database rolled their transactions back).
 */
describeServerBackends('shutdown past its grace period with blocked writers', (backend) => {
  let config: DatabaseConfig;
  let db: Database;
  let artifactId: number;
  let typeId: number;
  beforeAll(async () => {
    config = await backend.freshDatabaseConfig();
    db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS });
    const store = new MetadataStore(db);
    typeId = Number((await store.call('putArtifactType', { artifactType: { name: 'ShutdownType' } } as never)).typeId);
    artifactId = Number((await store.call('putArtifacts', { artifacts: [{ typeId, uri: 'original' }] } as never)).artifactIds![0]);
  });
  afterAll(() => db?.close());

  it(`exits 0 within grace + 1 s; the cancelled writes are absent`, async () => {
    const port = await freePort();
    const flags = databaseFlags(config);
    const server = startServerProcess([`--grpc_port=${port}`, `--shutdown_grace_seconds=${GRACE_S}`, ...flags.args], flags.env);
    try {
      await expect.poll(() => server.stdout(), { timeout: 30_000, interval: 100 }).toContain(`on port ${port}`);
    } catch (e) {
      throw new Error(`server did not start: ${server.stderr()}\n${server.stdout()}`, { cause: e });
    }
    const admin = db.knex;
    const lock = await admin.transaction();
    const client = new MetadataStoreServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    const codes: Array<Promise<number>> = [];
    try {
      await lock(db.table('Artifact')).where({ id: artifactId }).forUpdate().select('id');
      for (let i = 0; i < 4; i++) {
        codes.push(
          new Promise((resolve) =>
            client.putArtifacts(
              { artifacts: [{ id: BigInt(artifactId), typeId: BigInt(typeId), uri: `blocked-${i}` }] } as never,
              (error) => resolve(error?.code ?? 0),
            ),
          ),
        );
      }
      // Also a new row, which would appear if its transaction committed later.
      codes.push(
        new Promise((resolve) =>
          client.putArtifacts(
            { artifacts: [{ id: BigInt(artifactId), typeId: BigInt(typeId), uri: 'blocked-new' }, { typeId: BigInt(typeId), uri: 'new-row' }] } as never,
            (error) => resolve(error?.code ?? 0),
          ),
        ),
      );
      await new Promise((r) => setTimeout(r, 500));
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      const { code, at } = await server.exited;
      expect(code).toBe(0);
      expect(at - signalled).toBeLessThan(GRACE_S * 1000 + 1000);
      for (const c of await Promise.all(codes)) expect(c).not.toBe(0);
    } finally {
      client.close();
      await lock.commit();
    }
    // Had any of them lived on, it would commit now that the lock is free.
    await new Promise((r) => setTimeout(r, 500));
    expect(await admin(db.table('Artifact')).where({ id: artifactId }).first('uri')).toEqual({ uri: 'original' });
    expect(await admin(db.table('Artifact')).where({ uri: 'new-row' }).select('id')).toEqual([]);
    expect(server.stdout()).toContain('"msg":"stopped"');
  }, 60_000);
});
