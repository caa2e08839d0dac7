import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/database/database';
import { openDatabase } from '../../src/database/open_database';
import { knexPoolStats } from '../../src/observability/database_metrics';
import { createMetrics, type MlmdMetrics } from '../../src/observability/metrics';
import { invalidArgument, RetryTransaction } from '../../src/errors';
import { parsePrometheusText, sampleValue } from './prometheus_text';
import { MLMD_MIGRATIONS } from '../../migrations';

async function samples(metrics: MlmdMetrics) {
  return parsePrometheusText(await metrics.registry.metrics());
}

describe('database metrics from a real SQLite database', () => {
  let metrics: MlmdMetrics;
  let db: Database;

  beforeAll(async () => {
    metrics = createMetrics({ processMetrics: false });
    db = await openDatabase(
      { kind: 'sqlite', filename: ':memory:' },
      { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS },
      metrics.database,
    );
    metrics.database.observePool(knexPoolStats(db.knex));
  });

  afterAll(async () => {
    await db?.close();
  });

  it('times statements by operation and counts committed / rolled-back transactions', async () => {
    const before = await samples(metrics);
    const count = (s: typeof before, name: string, labels: Record<string, string>) => sampleValue(s, name, labels) ?? 0;

    await db.transaction(async (tx) => {
      await tx.knex(tx.table('Type')).insert({ name: 'obs_type', type_kind: 1 });
      await tx.knex(tx.table('Type')).where({ name: 'obs_type' }).update({ description: 'd' });
      await tx.knex(tx.table('Type')).where({ name: 'obs_type' }).select('id');
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.knex(tx.table('Type')).where({ name: 'obs_type' }).del();
        throw invalidArgument('validation failed after a write');
      }),
    ).rejects.toThrow('validation failed');

    const after = await samples(metrics);
    const delta = (name: string, labels: Record<string, string>) => count(after, name, labels) - count(before, name, labels);
    expect(delta('mlmd_db_query_duration_seconds_count', { operation: 'insert' })).toBe(1);
    expect(delta('mlmd_db_query_duration_seconds_count', { operation: 'update' })).toBe(1);
    expect(delta('mlmd_db_query_duration_seconds_count', { operation: 'select' })).toBeGreaterThanOrEqual(1);
    expect(delta('mlmd_db_query_duration_seconds_count', { operation: 'delete' })).toBe(1);
    expect(delta('mlmd_db_transactions_total', { outcome: 'committed' })).toBe(1);
    expect(delta('mlmd_db_transactions_total', { outcome: 'rolled_back' })).toBe(1);
    expect(delta('mlmd_db_transaction_duration_seconds_count', { outcome: 'committed' })).toBe(1);
    // The rolled-back delete really was undone.
    const left = await db.knex(db.table('Type')).where({ name: 'obs_type' }).count({ n: '*' });
    expect(Number(left[0].n)).toBe(1);
  });

  it('counts failed statements by operation', async () => {
    const before = sampleValue(await samples(metrics), 'mlmd_db_query_errors_total', { operation: 'select' }) ?? 0;
    await expect(db.transaction(async (tx) => tx.knex('no_such_table').select('id'))).rejects.toThrow();
    expect(sampleValue(await samples(metrics), 'mlmd_db_query_errors_total', { operation: 'select' })).toBe(before + 1);
  });

  it('counts retries with deadlocks, lock timeouts, serialization failures and busy apart', async () => {
    metrics.database.transactionRetried('deadlock');
    metrics.database.transactionRetried('deadlock');
    metrics.database.transactionRetried('lock_timeout');
    const s = await samples(metrics);
    expect(sampleValue(s, 'mlmd_db_transaction_retries_total', { reason: 'deadlock' })).toBe(2);
    expect(sampleValue(s, 'mlmd_db_transaction_retries_total', { reason: 'lock_timeout' })).toBe(1);
    expect(sampleValue(s, 'mlmd_db_transaction_retries_total', { reason: 'serialization' })).toBe(0);
    expect(sampleValue(s, 'mlmd_db_transaction_retries_total', { reason: 'busy' })).toBe(0);
  });

  it('reads the pool gauges and the writers waiting for their turn at scrape time', async () => {
    metrics.database.observeWriteTurns(db.writeTurns);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const first = db.transaction(async () => {
      entered();
      await held;
    });
    await inside;
    // A second write waits for its turn at SQLite's one write lock, holding no connection;
    // a read waits for the pool's one connection.
    const write = db.transaction(async () => undefined);
    const read = db.transaction(async () => undefined, { readOnly: true });
    await new Promise((r) => setTimeout(r, 20));
    const busy = await samples(metrics);
    release();
    await Promise.all([first, write, read]);
    const idle = await samples(metrics);

    expect(sampleValue(busy, 'mlmd_db_pool_max_connections', {})).toBe(1);
    expect(sampleValue(busy, 'mlmd_db_pool_connections_in_use', {})).toBe(1);
    expect(sampleValue(busy, 'mlmd_db_pool_pending_acquires', {})).toBe(1);
    expect(sampleValue(busy, 'mlmd_db_write_turns_waiting', {})).toBe(1);
    expect(sampleValue(idle, 'mlmd_db_pool_connections_in_use', {})).toBe(0);
    expect(sampleValue(idle, 'mlmd_db_pool_pending_acquires', {})).toBe(0);
    expect(sampleValue(idle, 'mlmd_db_write_turns_waiting', {})).toBe(0);
    expect(sampleValue(idle, 'mlmd_db_pool_connections', {})).toBe(1);
  });

  it('counts rows written only when the transaction commits, and not twice after a retry', async () => {
    const rows = async (kind: string) => sampleValue(await samples(metrics), 'mlmd_rows_written_total', { kind });
    expect(await rows('parent_context')).toBe(0);

    await db.transaction(async (tx) => {
      tx.recordRowsWritten('artifact', 3);
      tx.recordRowsWritten('event', 2);
    });
    expect(await rows('artifact')).toBe(3);
    expect(await rows('event')).toBe(2);

    await expect(
      db.transaction(async (tx) => {
        tx.recordRowsWritten('artifact', 5);
        throw invalidArgument('rejected after writing');
      }),
    ).rejects.toThrow('rejected after writing');
    expect(await rows('artifact')).toBe(3);

    // A retried attempt rolls back with its tally; only the attempt that commits counts.
    let attempts = 0;
    await db.transaction(async (tx) => {
      tx.recordRowsWritten('context', 4);
      if (++attempts === 1) throw new RetryTransaction(invalidArgument('lost a race'));
    });
    expect(attempts).toBe(2);
    expect(await rows('context')).toBe(4);

    // Read-only work is counted the same way (it writes nothing in practice).
    await db.transaction(async (tx) => tx.recordRowsWritten('type', 1), { readOnly: true });
    expect(await rows('type')).toBe(1);
  });

  it('never turns a free-form operation into a label value', async () => {
    metrics.database.queryFinished('pragma', 0.001, false);
    metrics.database.queryFinished('SELECT * FROM secret_table', 0.001, false);
    const ops = new Set(
      (await samples(metrics)).filter((s) => s.name === 'mlmd_db_query_duration_seconds_count').map((s) => s.labels.operation),
    );
    expect([...ops].sort()).toEqual(['delete', 'insert', 'other', 'select', 'update']);
  });
});
