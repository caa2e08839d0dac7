import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import type { Knex } from 'knex';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MLMD_MIGRATIONS } from '../../migrations';
import { openDatabase, type Database } from '../../src/database';
import { MetadataStoreServiceClient } from '../../src/generated/ml_metadata/proto/metadata_store_service';
import { StatusCode } from '../../src/errors';
import { MetadataStore } from '../../src/store/metadata_store';
import { startServer, type RunningServer } from '../../src/transport/server';
import { describeServerBackends } from './server_backends';

/**
 * A call whose client gives up (deadline, cancel) while its transaction waits on a row lock:
 * the transaction is rolled back at once and its connection returned, so when the lock is
 * released later nothing of the call commits.
 */
describeServerBackends('a cancelled call rolls back its transaction', (backend) => {
  let db: Database;
  let server: RunningServer;
  let client: MetadataStoreServiceClient;
  let admin: Knex;
  let typeId: number;
  beforeAll(async () => {
    const config = await backend.freshDatabaseConfig();
    db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 4 });
    server = await startServer({ store: new MetadataStore(db), port: 0, host: '127.0.0.1', reflection: false });
    client = new MetadataStoreServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    admin = backend.admin(config);
    typeId = Number((await new MetadataStore(db).call('putArtifactType', { artifactType: { name: 'CancelType' } } as never)).typeId);
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown(0);
    await db?.close();
  });

  const usedConnections = () => (db.knex.client as { pool: { numUsed(): number } }).pool.numUsed();

  it.each(['deadline', 'cancel'] as const)('%s: the blocked update is rolled back and its connection returned', async (how) => {
    const store = new MetadataStore(db);
    const { artifactIds } = await store.call('putArtifacts', { artifacts: [{ typeId, uri: `before-${how}` }] } as never);
    const id = Number(artifactIds![0]);
    const trx = await admin.transaction();
    try {
      await trx(db.table('Artifact')).where({ id }).forUpdate().select('id');
      const started = Date.now();
      const outcome = await new Promise<ServiceError | null>((resolve) => {
        const call = client.putArtifacts(
          { artifacts: [{ id: BigInt(id), typeId: BigInt(typeId), uri: `after-${how}` }] } as never,
          new Metadata(),
          how === 'deadline' ? { deadline: Date.now() + 400 } : {},
          (error) => resolve(error),
        );
        if (how === 'cancel') setTimeout(() => call.cancel(), 400);
      });
      expect(outcome?.code).toBe(how === 'deadline' ? StatusCode.DEADLINE_EXCEEDED : StatusCode.CANCELLED);
      expect(Date.now() - started).toBeLessThan(2_000);
      // The server gave up the transaction: its connection is back (or destroyed), not held.
      await expect.poll(usedConnections, { timeout: 2_000 }).toBe(0);
    } finally {
      await trx.commit();
    }
    // Had the transaction lived on, it would commit now that the lock is free.
    await new Promise((r) => setTimeout(r, 500));
    const [row] = await admin(db.table('Artifact')).where({ id }).select('uri');
    expect(row.uri).toBe(`before-${how}`);
  });
});
