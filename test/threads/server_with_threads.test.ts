import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { MetadataStoreServiceClient } from '../../src/generated/ml_metadata/proto/metadata_store_service';
import { healthStatus, startServerProcess } from '../faults/server_process';
import { parsePrometheusText, sampleValue } from '../observability/prometheus_text';
import { freePort } from '../support/db_servers';
import { callRpc, type Outcome } from '../transport/grpc_test_client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ok<T>(pending: Promise<Outcome>): Promise<T> {
  const outcome = await pending;
  if (!outcome.ok) throw new Error(`code ${outcome.code}: ${outcome.details}`);
  return outcome.response as T;
}

/**
 * The real server on a SQLite file: calls are served by the store threads, and what the threads
 * did (transactions, statements, rows written) shows in the process's /metrics, with the pool
 * gauges describing the threads.
 */
describe('the server on a SQLite file, calls served by store threads', () => {
  it('answers, reports the threads in /metrics, and stops cleanly', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'server-threads-'));
    const [grpcPort, metricsPort] = [await freePort(), await freePort()];
    const server = startServerProcess([
      `--grpc_port=${grpcPort}`,
      `--metrics_port=${metricsPort}`,
      '--workers=1',
      '--db_pool_size=3',
      `--sqlite_path=${path.join(dir, 'mlmd.db')}`,
    ]);
    const client = new MetadataStoreServiceClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    try {
      for (const until = Date.now() + 90_000; ; ) {
        if ((await healthStatus(grpcPort).catch(() => 'DOWN')) === 'SERVING') break;
        if (Date.now() > until) throw new Error(`the server never served:\n${server.stderr()}\n${server.stdout()}`);
        await sleep(200);
      }
      const { typeId } = await ok<{ typeId: bigint }>(callRpc(client, 'putArtifactType', { artifactType: { name: 'threads.Served' } }));
      const { artifactIds } = await ok<{ artifactIds: bigint[] }>(callRpc(client, 'putArtifacts', { artifacts: [{ typeId, uri: 'a' }, { typeId, uri: 'b' }] }));
      const missing = await callRpc(client, 'putArtifacts', { artifacts: [{ typeId: 999_999n, uri: 'c' }] });
      expect(missing.ok).toBe(false);
      const read = await ok<{ artifacts: { uri: string }[] }>(callRpc(client, 'getArtifactsById', { artifactIds }));
      expect(read.artifacts.map((a) => a.uri)).toEqual(['a', 'b']);

      const samples = parsePrometheusText(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
      expect(sampleValue(samples, 'mlmd_rows_written_total', { kind: 'artifact' })).toBe(2);
      expect(sampleValue(samples, 'mlmd_rows_written_total', { kind: 'type' })).toBe(1);
      expect(sampleValue(samples, 'mlmd_db_transactions_total', { outcome: 'committed' })).toBeGreaterThanOrEqual(3);
      expect(sampleValue(samples, 'mlmd_db_transactions_total', { outcome: 'rolled_back' })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(samples, 'mlmd_db_query_duration_seconds_count', { operation: 'insert' })).toBeGreaterThanOrEqual(2);
      // --db_pool_size=3: three store threads, none busy between calls.
      expect(sampleValue(samples, 'mlmd_db_pool_max_connections', {})).toBe(3);
      expect(sampleValue(samples, 'mlmd_db_pool_connections_in_use', {})).toBe(0);
    } finally {
      client.close();
      server.child.kill('SIGTERM');
      const { code } = await server.exited;
      fs.rmSync(dir, { recursive: true, force: true });
      expect(code).toBe(0);
    }
  }, 150_000);
});
