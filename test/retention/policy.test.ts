import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config';
import { parseRetentionPolicyText } from '../../src/config/retention_policy_file';
import { MLMD_MIGRATIONS } from '../../migrations';
import { openDatabase, type Database } from '../../src/database';
import { tryAcquireSessionLock } from '../../src/database/session_lock';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { RetentionMetrics } from '../../src/observability/retention_metrics';
import { MetadataStore } from '../../src/store/metadata_store';
import { RETENTION_LOCK_NAME, RetentionScheduler, ruleFilterQuery, type PassReport, type RetentionPolicySettings } from '../../src/store/retention/retention_scheduler';
import { LogCapture } from '../observability/log_capture';
import { parsePrometheusText, sampleValue } from '../observability/prometheus_text';
import { describeEachBackend } from '../support/backends';
import { rowCounts, uniqueName } from '../support/store_assertions';
import { createKfpRun, createKfpTypes, createPipeline } from './kubeflow_graph';

const DAY = 24 * 3600 * 1000;

/** The Kubeflow example of README.md's "Retention" section, as the README shows it. */
function readmePolicy(): string {
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const block = /```\n# retention\.txtpb\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no retention.txtpb example');
  return block[1];
}

describe('retention policy file', () => {
  it('parses the README example', () => {
    const policy = parseRetentionPolicyText(readmePolicy(), 'policy.txtpb');
    expect(policy).toEqual({
      source: 'policy.txtpb',
      intervalMs: 900_000,
      batchSize: 1000,
      dryRun: false,
      initialDelayMs: 60_000,
      rules: [
        {
          name: 'kfp-runs',
          kind: 'context',
          type: 'system.PipelineRun',
          olderThanMs: 30 * DAY,
          filterQuery: undefined,
          keepFilterQuery: 'custom_properties.pinned.bool_value = true',
          allowMatchAll: false,
        },
      ],
    });
    expect(ruleFilterQuery(policy.rules[0], 100 * DAY)).toBe(`type = 'system.PipelineRun' AND create_time_since_epoch < ${70 * DAY}`);
    expect(ruleFilterQuery({ ...policy.rules[0], type: "it's", filterQuery: 'id = 1 OR id = 2' }, 31 * DAY)).toBe(
      `type = 'it\\'s' AND create_time_since_epoch < ${DAY} AND (id = 1 OR id = 2)`,
    );
  });

  it.each([
    ['rules { kind: PURGE_KIND_RUN type: "x" }', /p:1: .*PURGE_KIND_RUN/],
    ['rules { type: "x" }', /kind is required/],
    ['rules { kind: PURGE_KIND_CONTEXT }', /at least one of/],
    ['interval_seconds: 5', /no rules/],
    ['rules { name: "a" kind: PURGE_KIND_CONTEXT type: "x" } rules { name: "a" kind: PURGE_KIND_ARTIFACT type: "y" }', /two rules/],
    ['rule { kind: PURGE_KIND_CONTEXT }', /rule/],
  ])('refuses %s', (text, message) => {
    expect(() => parseRetentionPolicyText(text, 'p')).toThrow(ConfigError);
    expect(() => parseRetentionPolicyText(text, 'p')).toThrow(message);
  });
});

describeEachBackend('retention policy passes', (backend) => {
  let dbs: Database[];
  let ns: string;

  beforeAll(async () => {
    const config = await backend.freshDatabaseConfig();
    const open = () => openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 4 });
    // Two servers' worth of database handles on one database, plus one to hold the lock by hand.
    dbs = [await open(), await open(), await open()];
  });
  afterAll(async () => {
    for (const db of dbs ?? []) await db.close();
  });

  async function seedRuns(n: number, pinned = 0): Promise<void> {
    ns = uniqueName('pol') + '.';
    const store = new MetadataStore(dbs[0]);
    const call = store.call.bind(store);
    const t = await createKfpTypes(call, ns);
    const pipeline = await createPipeline(call, t, uniqueName('p'));
    for (let i = 0; i < n; i++) await createKfpRun(call, t, pipeline, uniqueName('r'), { pinned: i < pinned ? true : undefined });
  }

  function policy(extra: Partial<RetentionPolicySettings> = {}): RetentionPolicySettings {
    return {
      rules: [{ name: 'runs', kind: 'context', type: `${ns}system.PipelineRun`, olderThanMs: DAY, keepFilterQuery: 'custom_properties.pinned.bool_value = true', allowMatchAll: false }],
      intervalMs: 60_000,
      batchSize: 1,
      dryRun: false,
      initialDelayMs: 60_000,
      ...extra,
    };
  }

  /** A scheduler whose clock is two days ahead, so runs created now are older than a day. */
  function scheduler(db: Database, settings: RetentionPolicySettings, logs = new LogCapture()) {
    const metrics = new RetentionMetrics(createMetrics({ processMetrics: false }).registry);
    const s = new RetentionScheduler(db, settings, {
      logger: createLogger({ destination: logs }),
      tryLock: () => tryAcquireSessionLock(db, RETENTION_LOCK_NAME),
      clock: () => Date.now() + 2 * DAY,
      observer: { batchCommitted: (b) => metrics.nodesPurged(b.counts), passFinished: (o) => metrics.runFinished(o) },
    });
    return { s, logs, metrics };
  }

  it('in dry-run mode only logs what each rule would delete', async () => {
    await seedRuns(2, 1);
    const before = await rowCounts(dbs[0]);
    const { s, logs } = scheduler(dbs[0], policy({ dryRun: true }));
    s.validate();
    const report = await s.runPass();
    expect(report.outcome).toBe('completed');
    expect(await rowCounts(dbs[0])).toEqual(before);
    const line = logs.lines.find((l) => l.msg === 'retention (dry run): rule would delete')!;
    expect(line).toMatchObject({ rule: 'runs', dry_run: true, counts: { contexts: 1, executions: 3 } });
  });

  it('a real pass purges the old unpinned runs, one log line per batch, and records metrics', async () => {
    await seedRuns(3, 1);
    const metricsRegistry = createMetrics({ processMetrics: false }).registry;
    const metrics = new RetentionMetrics(metricsRegistry);
    const logs = new LogCapture();
    const s = new RetentionScheduler(dbs[0], policy(), {
      logger: createLogger({ destination: logs }),
      tryLock: () => tryAcquireSessionLock(dbs[0], RETENTION_LOCK_NAME),
      clock: () => Date.now() + 2 * DAY,
      observer: { batchCommitted: (b) => metrics.nodesPurged(b.counts), passFinished: (o) => metrics.runFinished(o) },
    });
    const report = await s.runPass();
    expect(report.outcome).toBe('completed');
    expect(report.rules[0].result).toMatchObject({ batches: 2, counts: { contexts: 2, executions: 6 } });
    expect(logs.lines.filter((l) => l.msg === 'retention: batch purged')).toHaveLength(2);
    const samples = parsePrometheusText(await metricsRegistry.metrics());
    expect(sampleValue(samples, 'mlmd_retention_nodes_purged_total', { kind: 'context' })).toBe(2);
    expect(sampleValue(samples, 'mlmd_retention_runs_total', { outcome: 'completed' })).toBe(1);
    expect(sampleValue(samples, 'mlmd_retention_last_success_timestamp_seconds', {})).toBeGreaterThan(Date.now() / 1000 - 60);
    // The pinned run is all that is left of this suite's runs.
    const left = await new MetadataStore(dbs[0]).call('getContextsByType', { typeName: `${ns}system.PipelineRun` });
    expect(left.contexts!.map((c) => c.customProperties?.pinned?.boolValue)).toEqual([true]);
  });

  it('a failing rule is a failed pass, counted in the metrics, and the next rule still runs', async () => {
    await seedRuns(1);
    const metricsRegistry = createMetrics({ processMetrics: false }).registry;
    const metrics = new RetentionMetrics(metricsRegistry);
    const bad = { name: 'everything', kind: 'execution' as const, filterQuery: 'id > 0', allowMatchAll: false };
    const s = new RetentionScheduler(dbs[0], { ...policy(), rules: [bad, ...policy().rules] }, {
      logger: createLogger({ destination: new LogCapture() }),
      tryLock: () => tryAcquireSessionLock(dbs[0], RETENTION_LOCK_NAME),
      clock: () => Date.now() + 2 * DAY,
      observer: { batchCommitted: (b) => metrics.nodesPurged(b.counts), passFinished: (o) => metrics.runFinished(o) },
    });
    const report = await s.runPass();
    expect(report.outcome).toBe('failed');
    expect(report.rules.map((r) => [r.rule, r.error ? 'error' : r.result!.counts.contexts])).toEqual([
      ['everything', 'error'],
      ['runs', 1],
    ]);
    const samples = parsePrometheusText(await metricsRegistry.metrics());
    expect(sampleValue(samples, 'mlmd_retention_failures_total', {})).toBe(1);
    expect(sampleValue(samples, 'mlmd_retention_runs_total', { outcome: 'failed' })).toBe(1);
  });

  if (backend.name === 'sqlite') {
    it('SQLite has no cross-process lock (one process serves a SQLite file): two passes at once both complete, purging each run once', async () => {
      await seedRuns(4);
      const a = scheduler(dbs[0], policy());
      const b = scheduler(dbs[1], policy());
      const [ra, rb] = await Promise.all([a.s.runPass(), b.s.runPass()]);
      expect([ra.outcome, rb.outcome]).toEqual(['completed', 'completed']);
      const purged = (r: PassReport) => r.rules[0].result!.counts.contexts;
      expect(purged(ra) + purged(rb)).toBe(4);
    });
    return;
  }

  it('a pass is skipped while another session holds the retention lock, and runs once it is released', async () => {
    await seedRuns(2);
    const held = await tryAcquireSessionLock(dbs[2], RETENTION_LOCK_NAME);
    expect(held).toBeDefined();
    const before = await rowCounts(dbs[0]);
    const { s, logs } = scheduler(dbs[0], policy());
    expect((await s.runPass()).outcome).toBe('skipped_locked');
    expect(logs.lines.map((l) => l.msg)).toContain('retention: another server holds the retention lock; skipping this pass');
    expect(await rowCounts(dbs[0])).toEqual(before);
    await held!.release();
    const report = await s.runPass();
    expect(report.outcome).toBe('completed');
    expect(report.rules[0].result!.counts.contexts).toBe(2);
  });

  it('two servers with the policy on one database: while one purges, the other skips its pass', async () => {
    await seedRuns(5);
    const b = scheduler(dbs[1], policy());
    let second: Promise<PassReport> | undefined;
    const pass = new RetentionScheduler(dbs[0], policy(), {
      logger: createLogger({ destination: new LogCapture() }),
      tryLock: () => tryAcquireSessionLock(dbs[0], RETENTION_LOCK_NAME),
      clock: () => Date.now() + 2 * DAY,
      observer: {
        // Server B's pass starts while A is between its first and second batch.
        batchCommitted: () => void (second ??= b.s.runPass()),
        passFinished: () => undefined,
      },
    }).runPass();
    const [ra, rb] = [await pass, await second!];
    expect(ra.outcome).toBe('completed');
    expect(ra.rules[0].result!.counts.contexts).toBe(5);
    expect(rb.outcome).toBe('skipped_locked');
    // Once A is done the lock is free again.
    expect((await b.s.runPass()).outcome).toBe('completed');
  });
});
