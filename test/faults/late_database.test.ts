import { status as Status } from '@grpc/grpc-js';
import { afterAll, expect, it } from 'vitest';
import type { DatabaseConfig } from '../../src/database/config';
import { freePort } from '../support/db_servers';
import { TcpProxy } from '../support/tcp_proxy';
import { callRpc, mlmdClient } from '../transport/grpc_test_client';
import { databaseFlags, healthStatus, startServerProcess } from './server_process';
import { describeServerBackends } from './server_backends';

/**
 * The database comes up after the server (kubeflow/pipelines#12086): start-up retries with
 * back-off, logging each attempt, while the gRPC port answers health NOT_SERVING and calls
 * UNAVAILABLE; once the database is there the server serves. Past --db_startup_timeout_seconds
 * it exits 1 with the clear message.
 */
describeServerBackends('a database that comes up late', (backend) => {
  const proxies: TcpProxy[] = [];
  afterAll(() => Promise.all(proxies.map((p) => p.close())));

  async function lateConfig(): Promise<{ config: DatabaseConfig; real: { host: string; port: number }; port: number }> {
    const real = await backend.freshDatabaseConfig();
    const port = await freePort();
    return { config: { ...real, host: '127.0.0.1', port } as DatabaseConfig, real: real as { host: string; port: number }, port };
  }

  it('is waited for: health NOT_SERVING and calls UNAVAILABLE meanwhile, then SERVING and OK', async () => {
    const { config, real, port: dbPort } = await lateConfig();
    const grpcPort = await freePort();
    const flags = databaseFlags(config);
    const server = startServerProcess(
      [`--grpc_port=${grpcPort}`, '--db_connect_timeout_seconds=1', '--db_startup_timeout_seconds=60', ...flags.args],
      flags.env,
    );
    try {
      await expect.poll(() => server.stdout(), { timeout: 30_000, interval: 100 }).toContain('unreachable; retrying');
      await expect.poll(() => server.stdout(), { timeout: 10_000, interval: 100 }).toContain('health is NOT_SERVING');
      expect(await healthStatus(grpcPort)).toBe('NOT_SERVING');
      const client = mlmdClient(grpcPort);
      expect(await callRpc(client, 'getArtifactTypes', {})).toMatchObject({ ok: false, code: Status.UNAVAILABLE });

      proxies.push(await TcpProxy.start(real, dbPort));
      await expect.poll(() => healthStatus(grpcPort).catch(() => 'no answer'), { timeout: 20_000, interval: 200 }).toBe('SERVING');
      expect(await callRpc(client, 'getArtifactTypes', {})).toMatchObject({ ok: true });
      client.close();
      // Each attempt was logged with its number.
      expect(server.stdout()).toMatch(/"attempt":1,"retry_in_ms":\d+,"reason":"unreachable"/);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect((await server.exited).code).toBe(0);
  }, 60_000);

  it('past --db_startup_timeout_seconds: exit 1 with the clear message', async () => {
    const { config } = await lateConfig();
    const flags = databaseFlags(config);
    const server = startServerProcess(
      [`--grpc_port=${await freePort()}`, '--db_connect_timeout_seconds=1', '--db_startup_timeout_seconds=2', ...flags.args],
      flags.env,
    );
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.stderr()).toMatch(/cannot reach (MySQL|PostgreSQL) 127\.0\.0\.1:\d+ database .*check the host\/port flags/);
  }, 60_000);
});
