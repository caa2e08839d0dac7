import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { DatabaseConfig } from '../../src/database/config';
import { describeEachBackend } from '../support/backends';
import { callRpc, mlmdClient } from '../transport/grpc_test_client';

const MAIN = ['--import', 'tsx', path.join(__dirname, '../../src/main.ts')];
const ROOT = path.join(__dirname, '../..');
const CLIENTS = 8;
const CALLS_PER_CLIENT = 3;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The server flags that put it on `config`. */
function databaseFlags(config: DatabaseConfig): string[] {
  switch (config.kind) {
    case 'sqlite':
      return [`--sqlite_path=${config.filename}`];
    case 'mysql':
      return [
        `--mysql_config_host=${config.host}`,
        `--mysql_config_port=${config.port}`,
        `--mysql_config_database=${config.database}`,
        `--mysql_config_user=${config.user}`,
        `--mysql_config_password=${config.password ?? ''}`,
      ];
    case 'postgres':
      return [
        '--metadata_source_config_type=postgresql',
        `--postgres_config_host=${config.host}`,
        `--postgres_config_port=${config.port}`,
        `--postgres_config_dbname=${config.dbname}`,
        `--postgres_config_user=${config.user}`,
        `--postgres_config_password=${config.password ?? ''}`,
      ];
  }
}

/** The server processes `pid` forked (tsx's esbuild helper is a child too, and not one). */
function workerPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('main.ts'))
      .map((l) => Number(l.trim().split(/\s+/)[0]))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function healthStatus(port: number): Promise<string> {
  const proto = path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');
  const pkg = loadPackageDefinition(loadSync(proto, { keepCase: true, enums: String })) as any;
  const client = new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.Check({ service: '' }, (e: Error | null, r: { status: string }) => {
      client.close();
      return e ? reject(e) : resolve(r.status);
    }),
  );
}

/** The value of one series in a Prometheus text exposition (0 when absent). */
function seriesValue(exposition: string, name: string, labels: Record<string, string>): number {
  const line = exposition
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describeEachBackend('--workers: several server processes on one port', (backend) => {
  it('serves from every worker, sums their metrics in one scrape, and SIGTERM ends every process', async () => {
    const config = await backend.freshDatabaseConfig();
    const [grpcPort, metricsPort] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [...MAIN, `--grpc_port=${grpcPort}`, `--metrics_port=${metricsPort}`, '--workers=2', ...databaseFlags(config)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => stdout + stderr, { timeout: 90_000, interval: 200 }).toContain(`2 server processes share port ${grpcPort}`);
      const workers = workerPids(child.pid!);
      expect(workers).toHaveLength(2);
      // One schema line for the whole server (the init lock lets one worker create the schema).
      expect(stdout.split('\n').filter((l) => l.includes('"msg":"metadata schema ready"'))).toHaveLength(1);
      expect(await healthStatus(grpcPort)).toBe('SERVING');

      // Each client its own connection (no shared subchannel), so the workers take turns.
      const clients = Array.from({ length: CLIENTS }, () => mlmdClient(grpcPort, undefined, { 'grpc.use_local_subchannel_pool': 1 }));
      const outcomes = await Promise.all(
        clients.map(async (client) => {
          const results = [];
          for (let i = 0; i < CALLS_PER_CLIENT; i++) results.push(await callRpc(client, 'getArtifactTypes', {}));
          return results;
        }),
      );
      for (const c of clients) c.close();
      expect(outcomes.flat().every((o) => o.ok)).toBe(true);

      const calls = CLIENTS * CALLS_PER_CLIENT;
      const served = () =>
        stdout
          .split('\n')
          .filter((l) => l.includes('"grpc_method":"GetArtifactTypes"'))
          .map((l) => (JSON.parse(l) as { worker?: number }).worker);
      await expect.poll(() => served().length, { timeout: 10_000 }).toBe(calls);
      const perWorker = new Map<number | undefined, number>();
      for (const w of served()) perWorker.set(w, (perWorker.get(w) ?? 0) + 1);
      expect([...perWorker.keys()].sort()).toEqual([1, 2]);

      const exposition = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const labels = { grpc_service: 'ml_metadata.MetadataStoreService', grpc_method: 'GetArtifactTypes' };
      expect(seriesValue(exposition, 'grpc_server_started_total', labels)).toBe(calls);
      expect(seriesValue(exposition, 'grpc_server_handled_total', { ...labels, grpc_code: 'OK' })).toBe(calls);
      expect(seriesValue(exposition, 'grpc_server_handling_seconds_count', labels)).toBe(calls);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await expect.poll(() => workers.filter(alive), { timeout: 10_000 }).toEqual([]);
      expect(stdout.split('\n').filter((l) => l.includes('"msg":"stopped"'))).toHaveLength(3);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 180_000);
});
