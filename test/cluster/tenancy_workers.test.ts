import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { status as Status } from '@grpc/grpc-js';
import { expect, it } from 'vitest';
import { callRpc, mlmdClient } from '../transport/grpc_test_client';

/**
 * The real entry point with --tenancy=enforce and two workers: the gate is wired in every
 * worker, and its counters add up across workers in the primary's one /metrics. Tenancy
 * decisions here touch no SQL (refused callers never reach the store), so SQLite alone.
 */
const MAIN = ['--import', 'tsx', path.join(__dirname, '../../src/main.ts')];
const ROOT = path.join(__dirname, '../..');
const CLIENTS = 6;
const CALLS_PER_CLIENT = 3;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function seriesValue(exposition: string, name: string, labels: Record<string, string>): number {
  const line = exposition
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

it('--tenancy=enforce with --workers=2: every worker refuses anonymous callers as configured, and the counters add up', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-tenancy-workers-'));
  const config = path.join(dir, 'tenancy.yaml');
  fs.writeFileSync(config, 'anonymous:\n  grpc: deny\n');
  const [grpcPort, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [...MAIN, `--grpc_port=${grpcPort}`, `--metrics_port=${metricsPort}`, '--workers=2', '--tenancy=enforce', `--tenancy_config_file=${config}`, `--sqlite_path=${path.join(dir, 'm.sqlite')}`],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    // The primary's line comes once every worker listens (the first worker's own "on port" line
    // comes before the second one is forked: calls made then all reach worker 1).
    await expect.poll(() => stdout, { timeout: 90_000, interval: 200 }).toContain(`2 server processes share port ${grpcPort}`);
    expect(stdout.split('\n').filter((l) => l.includes('"msg":"tenancy on"'))).toHaveLength(1);
    const clients = Array.from({ length: CLIENTS }, () => mlmdClient(grpcPort, undefined, { 'grpc.use_local_subchannel_pool': 1 }));
    const outcomes = await Promise.all(
      clients.map(async (client) => {
        const results = [];
        for (let i = 0; i < CALLS_PER_CLIENT; i++) results.push(await callRpc(client, 'getArtifactTypes', {}));
        return results;
      }),
    );
    for (const c of clients) c.close();
    expect(outcomes.flat().map((o) => (o.ok ? 'ok' : o.code))).toEqual(Array(CLIENTS * CALLS_PER_CLIENT).fill(Status.UNAUTHENTICATED));
    const refusals = () =>
      stdout
        .split('\n')
        .filter((l) => l.includes('"msg":"tenancy: call refused"'))
        .map((l) => (JSON.parse(l) as { worker?: number }).worker);
    // Each worker batches its log lines (flushed at least every 200 ms): wait for all of them.
    await expect.poll(() => refusals().length, { timeout: 10_000 }).toBe(CLIENTS * CALLS_PER_CLIENT);
    expect([...new Set(refusals())].sort()).toEqual([1, 2]);
    const exposition = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const calls = CLIENTS * CALLS_PER_CLIENT;
    expect(seriesValue(exposition, 'mlmd_tenancy_denied_total', { rpc: 'GetArtifactTypes', reason: 'anonymous', mode: 'enforce' })).toBe(calls);
    expect(seriesValue(exposition, 'mlmd_tenancy_principal_resolutions_total', { source: 'none', outcome: 'anonymous' })).toBe(calls);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
