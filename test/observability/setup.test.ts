import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/database/open_database';
import { recordRowsWritten } from '../../src/observability/rows_written';
import { startObservability } from '../../src/observability/setup';
import { LogCapture } from './log_capture';
import { sampleValue, scrape } from './prometheus_text';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe('startObservability', () => {
  it('wires logger, metrics endpoint, database observer, pool gauges and row counts', async () => {
    const logs = new LogCapture();
    const metricsPort = await freePort();
    const obs = await startObservability({ logLevel: 'info', metricsPort, slowRpcMs: 1000 }, { destination: logs });
    const config = { kind: 'sqlite' as const, filename: ':memory:' };
    obs.connecting(config);
    const db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 } }, obs.databaseObserver);
    try {
      obs.databaseOpened(db);
      obs.listening(8080);
      recordRowsWritten('execution', 2);
      expect(obs.interceptors).toHaveLength(1);

      const { samples } = await scrape(metricsPort);
      expect(sampleValue(samples, 'mlmd_db_pool_max_connections', {})).toBe(1);
      // Schema checks at start-up ran through the observed pool.
      expect(sampleValue(samples, 'mlmd_db_query_duration_seconds_count', { operation: 'select' })).toBeGreaterThan(0);
      expect(sampleValue(samples, 'mlmd_rows_written_total', { kind: 'execution' })).toBe(2);
      expect(
        sampleValue(samples, 'grpc_server_started_total', {
          grpc_type: 'unary',
          grpc_service: 'ml_metadata.MetadataStoreService',
          grpc_method: 'PutArtifactType',
        }),
      ).toBe(0);
      expect(logs.lines.map((l) => l.msg)).toEqual([
        'connecting to the metadata database',
        'metadata schema ready',
        `serving ml_metadata.MetadataStoreService on port 8080, metrics on port ${metricsPort}`,
      ]);
      expect(logs.lines[1].schema_version).toBe(10);
    } finally {
      await obs.close();
      await db.close();
    }
    await expect(fetch(`http://127.0.0.1:${metricsPort}/metrics`)).rejects.toThrow();
    // Detached: later counts no longer reach this process's (closed) registry.
    recordRowsWritten('execution', 5);
    expect(await obs.metrics.registry.getSingleMetricAsString('mlmd_rows_written_total')).toContain('kind="execution"} 2');
  });
});
