import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DatabaseConfig } from '../../src/database/config';
import { MLMD_MIGRATIONS } from '../../migrations';
import { openDatabase, type Database } from '../../src/database';
import { MetadataStore } from '../../src/store/metadata_store';
import { DEFAULT_BATCH_SIZE, Purger } from '../../src/store/retention/purge';
import { describeEachBackend } from '../support/backends';
import { rowCounts } from '../support/store_assertions';
import { danglingReferences } from './integrity';
import { createKfpRun, createKfpTypes, createPipeline } from './kubeflow_graph';
import { runCliProcess, startServerProcess, type ServerProcess } from './server_process';

const RUNS = 12;
const NS = 'kill.';
const FILTER = `type = '${NS}system.PipelineRun' AND custom_properties.namespace.string_value = 'old'`;

/** The same graph in every database it is called on (ids included: each database is new). */
async function seed(db: Database): Promise<void> {
  const store = new MetadataStore(db);
  const call = store.call.bind(store);
  const t = await createKfpTypes(call, NS);
  const pipeline = await createPipeline(call, t, 'p');
  let previous: bigint | undefined;
  for (let i = 0; i < RUNS; i++) {
    // Every third run is new and kept; old runs read the model of the run before them.
    const run = await createKfpRun(call, t, pipeline, `run-${i}`, { sharedInput: previous, namespace: i % 3 === 2 ? 'new' : 'old' });
    previous = run.model;
  }
}

/** Row counts and every id of the node and event tables. */
async function snapshot(db: Database) {
  const ids: Record<string, number[]> = {};
  for (const table of ['Context', 'Execution', 'Artifact', 'Event', 'Attribution', 'Association'] as const) {
    ids[table] = ((await db.knex.from(db.table(table)).select('id').orderBy('id')) as { id: unknown }[]).map((r) => Number(r.id));
  }
  return { counts: await rowCounts(db), ids };
}

describeEachBackend('a purge interrupted by killing the server', (backend) => {
  let reference: Database;
  let config: DatabaseConfig;
  let db: Database;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    const open = (c: DatabaseConfig) => openDatabase(c, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 2 });
    reference = await open(await backend.freshDatabaseConfig());
    config = await backend.freshDatabaseConfig();
    db = await open(config);
    await seed(reference);
    await seed(db);
  });
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await reference?.close();
    await db?.close();
  });

  it('run again through the CLI, ends where an uninterrupted purge ends, with no dangling row in between', async () => {
    const uninterrupted = await new Purger(reference).purge({ kind: 'context', filterQuery: FILTER, dryRun: false, allowMatchAll: false, batchSize: DEFAULT_BATCH_SIZE, maxBatches: 0 });
    expect(uninterrupted.counts.contexts).toBe(8);
    const expected = await snapshot(reference);

    server = await startServerProcess(config);
    const dry = runCliProcess(['purge', 'contexts', '--filter', FILTER, '--server', `127.0.0.1:${server.port}`]);
    expect(await dry.exited).toBe(0);
    expect(dry.stdout()).toContain('DRY RUN');
    expect(dry.stdout()).toMatch(/^Context\s+8$/m);

    const first = runCliProcess(['purge', 'contexts', '--filter', FILTER, '--execute', '--batch-size', '1', '--server', `127.0.0.1:${server.port}`]);
    const deadline = Date.now() + 60_000;
    while (!first.stderr().includes('batch 3:') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    server.child.kill('SIGKILL');
    await server.exited;
    const code = await first.exited;
    expect(first.stderr()).toContain('batch 3:');
    expect([1, 4]).toContain(code); // UNAVAILABLE (4) or the call cut mid-way (1)
    const mid = await snapshot(db);
    expect(mid.counts.Context).toBeGreaterThan(expected.counts.Context);
    expect(mid.counts.Context).toBeLessThan(expected.counts.Context + 8);
    expect(await danglingReferences(db.knex, (n) => db.table(n))).toEqual([]);

    server = await startServerProcess(config);
    const again = runCliProcess(['purge', 'contexts', '--filter', FILTER, '--execute', '--server', `127.0.0.1:${server.port}`]);
    expect(await again.exited).toBe(0);
    expect(again.stdout()).toMatch(/^DELETED in \d+ batches/m);
    expect(await snapshot(db)).toEqual(expected);
    expect(await danglingReferences(db.knex, (n) => db.table(n))).toEqual([]);

    // Exit codes scripts can test: refused (3), usage (2), unreachable (4).
    const refused = runCliProcess(['purge', 'executions', '--filter', 'id > 0', '--execute', '--server', `127.0.0.1:${server.port}`]);
    expect(await refused.exited).toBe(3);
    expect(refused.stderr()).toMatch(/FAILED_PRECONDITION: .*allow_match_all/);
    const usage = runCliProcess(['purge', 'runs', '--filter', 'id = 1']);
    expect(await usage.exited).toBe(2);
    server.child.kill('SIGTERM');
    await server.exited;
    server = undefined;
    const unreachable = runCliProcess(['purge', 'contexts', '--filter', 'id = 1', '--server', `127.0.0.1:${1}`, '--timeout', '5']);
    expect(await unreachable.exited).toBe(4);
  }, 180_000);
});
