import { afterAll, expect, it } from 'vitest';
import { MLMD_MIGRATIONS } from '../../migrations';
import { openDatabase, type Database } from '../../src/database';
import type { DatabaseConfig } from '../../src/database/config';
import { StatusCode } from '../../src/errors';
import { MetadataStore } from '../../src/store/metadata_store';
import { TcpProxy } from '../support/tcp_proxy';
import { describeServerBackends } from './server_backends';

const SCHEMA = { enableUpgrade: false, downgradeToVersion: -1 };

function via(config: DatabaseConfig, port: number): DatabaseConfig {
  return { ...config, host: '127.0.0.1', port } as DatabaseConfig;
}

/**
 * A database that accepts TCP connections but never answers: at start-up opening fails
 * within the connect timeout with a message naming it (not Knex's "pool is probably full"
 * after 30 s); at run time calls fail UNAVAILABLE a little after the statement timeout.
 */
describeServerBackends('a hung database', (backend) => {
  const proxies: TcpProxy[] = [];
  let db: Database | undefined;
  afterAll(async () => {
    await db?.close();
    await Promise.all(proxies.map((p) => p.close()));
  });

  it('at start-up: UNAVAILABLE after the connect timeout, naming it and the flag', async () => {
    const silent = await TcpProxy.start(undefined);
    proxies.push(silent);
    const config = via(await backend.freshDatabaseConfig(), silent.port);
    const started = Date.now();
    const error = await openDatabase(config, { schema: SCHEMA, migrations: MLMD_MIGRATIONS, timeouts: { connectMs: 1_000, statementMs: 2_000 } }).then(
      () => undefined,
      (e: unknown) => e as { code: number; message: string },
    );
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(error?.code).toBe(StatusCode.UNAVAILABLE);
    expect(error?.message).toMatch(/accepted no connection within 1 s \(--db_connect_timeout_seconds\)/);
    expect(error?.message).not.toMatch(/pool is probably full/);
  });

  it('at run time: calls fail UNAVAILABLE within the statement timeout + 2 s, new connections within the connect timeout', async () => {
    const real = await backend.freshDatabaseConfig();
    const target = real as { host: string; port: number };
    const proxy = await TcpProxy.start({ host: target.host, port: target.port });
    proxies.push(proxy);
    db = await openDatabase(via(real, proxy.port), { schema: SCHEMA, migrations: MLMD_MIGRATIONS, poolMax: 4, timeouts: { connectMs: 1_000, statementMs: 1_000 } });
    const store = new MetadataStore(db);
    await store.call('getArtifactTypes', {} as never);
    proxy.freeze();
    const started = Date.now();
    const results = await Promise.allSettled([
      store.call('getArtifactTypes', {} as never),
      store.call('putArtifactType', { artifactType: { name: 'HungType' } } as never),
    ]);
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as { code: number; message: string };
      expect(error.code).toBe(StatusCode.UNAVAILABLE);
      expect(error.message).toMatch(/did not answer within 3 s|accepted no connection|lost or refused|No connection/);
    }
  });
});
