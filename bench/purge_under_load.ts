/**
 * A purge of old Kubeflow runs while clients keep writing new runs: every write must
 * succeed, nothing new may be deleted, and the write latency during the purge is compared
 * with the write latency just before it on the same server and database.
 *
 *   npx tsx bench/purge_under_load.ts                     # SQLite, 5,000 old runs, 8 writers
 *   PURGE_BENCH_BACKEND=mariadb npx tsx bench/purge_under_load.ts
 *   PURGE_BENCH_RUNS=20000 PURGE_BENCH_WRITERS=8 PURGE_BENCH_BATCH=1000 npx tsx bench/purge_under_load.ts
 *   PURGE_BENCH_SERVER_FLAGS="--workers=1" npx tsx bench/purge_under_load.ts   # more server flags
 *
 * The server runs in a process of its own (src/main.ts, default flags); writers and the
 * purge call it over loopback gRPC from this process. test/retention/purge_under_load.test.ts
 * runs the same workload, smaller, as a test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import type { DatabaseConfig } from '../src/database/config';
import { MLMD_MIGRATIONS } from '../migrations';
import { openDatabase, type Database } from '../src/database';
import { Event_Type, Execution_State, type Context } from '../src/generated/ml_metadata/proto/metadata_store';
import {
  MetadataStoreServiceClient,
  type GetContextsByIDResponse,
  type PutContextsResponse,
  type PutExecutionResponse,
} from '../src/generated/ml_metadata/proto/metadata_store_service';
import { RetentionServiceClient, type PurgeContextsResponse, type PurgeResult } from '../src/generated/mlmd_ts/retention/v1/retention_service';
import { MetadataStore } from '../src/store/metadata_store';
import { startDbServers } from '../test/support/db_servers';
import { startServerProcess } from '../test/retention/server_process';
import { percentile } from './stats';

const { INPUT, OUTPUT } = Event_Type;

export interface LoadTypes {
  pipeline: bigint;
  run: bigint;
  dag: bigint;
  container: bigint;
  dataset: bigint;
  model: bigint;
}

export interface Seeded {
  types: LoadTypes;
  pipeline: Context;
  oldRunIds: bigint[];
}

/** Old runs written fast: one PutLineageSubgraph per run (run context, 3 executions, 2 artifacts, 3 events). */
export async function seedOldRuns(db: Database, runs: number, ns: string, concurrency = 4): Promise<Seeded> {
  const store = new MetadataStore(db);
  const call = store.call.bind(store);
  const ctxType = async (name: string) => (await call('putContextType', { contextType: { name: ns + name } })).typeId!;
  const exeType = async (name: string) => (await call('putExecutionType', { executionType: { name: ns + name } })).typeId!;
  const artType = async (name: string) => (await call('putArtifactType', { artifactType: { name: ns + name } })).typeId!;
  const types: LoadTypes = {
    pipeline: await ctxType('system.Pipeline'),
    run: await ctxType('system.PipelineRun'),
    dag: await exeType('system.DAGExecution'),
    container: await exeType('system.ContainerExecution'),
    dataset: await artType('system.Dataset'),
    model: await artType('system.Model'),
  };
  const [pid] = (await call('putContexts', { contexts: [{ typeId: types.pipeline, name: `${ns}pipeline` }] })).contextIds!;
  const pipeline = (await call('getContextsById', { contextIds: [pid] })).contexts![0];
  const oldRunIds: bigint[] = new Array(runs);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < runs; i = next++) {
      const name = `${ns}old-${i}`;
      const response = await call('putLineageSubgraph', {
        contexts: [pipeline, { typeId: types.run, name, customProperties: { namespace: { stringValue: 'old' } } }],
        executions: [
          { typeId: types.dag, name: `run/${name}`, lastKnownState: Execution_State.COMPLETE },
          { typeId: types.container, lastKnownState: Execution_State.COMPLETE, customProperties: { task_name: { stringValue: 'make' } } },
          { typeId: types.container, lastKnownState: Execution_State.COMPLETE, customProperties: { task_name: { stringValue: 'train' } } },
        ],
        artifacts: [
          { typeId: types.dataset, uri: `minio://old/${i}/data` },
          { typeId: types.model, uri: `minio://old/${i}/model` },
        ],
        eventEdges: [
          { executionIndex: 1, artifactIndex: 0, event: { type: OUTPUT, path: { steps: [{ key: 'data' }] } } },
          { executionIndex: 2, artifactIndex: 0, event: { type: INPUT, path: { steps: [{ key: 'data' }] } } },
          { executionIndex: 2, artifactIndex: 1, event: { type: OUTPUT, path: { steps: [{ key: 'model' }] } } },
        ],
      });
      oldRunIds[i] = response.contextIds![1];
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  for (let i = 0; i < runs; i += 5000) {
    await call('putParentContexts', { parentContexts: oldRunIds.slice(i, i + 5000).map((childId) => ({ childId, parentId: pid })) });
  }
  return { types, pipeline, oldRunIds };
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
function unary<Res>(fn: Function, req: unknown): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (e: ServiceError | null, r: Res) => (e ? reject(e) : resolve(r))));
}

export interface WriterResult {
  /** [end ms (Date.now() when answered), latency µs] per RPC. */
  calls: [number, number][];
  failures: string[];
  contexts: bigint[];
  executions: bigint[];
  artifacts: bigint[];
}

/** One client writing Kubeflow-shaped new runs (clients.md §4, abridged) until `stop()` says so. */
export async function writeNewRuns(port: number, seeded: Seeded, ns: string, id: number, stop: () => boolean): Promise<WriterResult> {
  const client = new MetadataStoreServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const out: WriterResult = { calls: [], failures: [], contexts: [], executions: [], artifacts: [] };
  const t = seeded.types;
  const timed = async <R>(work: () => Promise<R>): Promise<R> => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      out.calls.push([Date.now(), (performance.now() - start) * 1000]);
    }
  };
  try {
    for (let n = 0; !stop(); n++) {
      try {
        const name = `${ns}new-${id}-${n}`;
        const { contextIds } = await timed(() =>
          unary<PutContextsResponse>(client.putContexts.bind(client), { contexts: [{ typeId: t.run, name, customProperties: { namespace: { stringValue: 'new' } } }] }),
        );
        const run = contextIds![0];
        out.contexts.push(run);
        await timed(() => unary<unknown>(client.putParentContexts.bind(client), { parentContexts: [{ childId: run, parentId: seeded.pipeline.id }] }));
        const [runContext] = (await timed(() => unary<GetContextsByIDResponse>(client.getContextsById.bind(client), { contextIds: [run] }))).contexts!;
        const contexts = [seeded.pipeline, runContext];
        const root = await timed(() =>
          unary<PutExecutionResponse>(client.putExecution.bind(client), { execution: { typeId: t.dag, name: `run/${name}`, lastKnownState: Execution_State.RUNNING }, contexts }),
        );
        const make = await timed(() =>
          unary<PutExecutionResponse>(client.putExecution.bind(client), {
            execution: { typeId: t.container, lastKnownState: Execution_State.COMPLETE, customProperties: { parent_dag_id: { intValue: root.executionId } } },
            contexts,
            artifactEventPairs: [{ artifact: { typeId: t.dataset, uri: `minio://new/${name}/data` }, event: { type: OUTPUT, path: { steps: [{ key: 'data' }] } } }],
          }),
        );
        const train = await timed(() =>
          unary<PutExecutionResponse>(client.putExecution.bind(client), {
            execution: { typeId: t.container, lastKnownState: Execution_State.COMPLETE, customProperties: { parent_dag_id: { intValue: root.executionId } } },
            contexts,
            artifactEventPairs: [
              { event: { artifactId: make.artifactIds![0], type: INPUT, path: { steps: [{ key: 'data' }] } } },
              { artifact: { typeId: t.model, uri: `minio://new/${name}/model` }, event: { type: OUTPUT, path: { steps: [{ key: 'model' }] } } },
            ],
          }),
        );
        out.executions.push(root.executionId!, make.executionId!, train.executionId!);
        out.artifacts.push(make.artifactIds![0], train.artifactIds![1]);
      } catch (e) {
        out.failures.push(`${(e as ServiceError).code}: ${(e as Error).message}`);
      }
    }
  } finally {
    client.close();
  }
  return out;
}

async function countExisting(db: Database, table: 'Context' | 'Execution' | 'Artifact', ids: readonly bigint[]): Promise<number> {
  let found = 0;
  for (let i = 0; i < ids.length; i += 5000) {
    const [{ n }] = (await db.knex.from(db.table(table)).whereIn('id', ids.slice(i, i + 5000).map(Number)).count({ n: '*' })) as { n: unknown }[];
    found += Number(n);
  }
  return found;
}

export interface LoadReport {
  oldRuns: number;
  writers: number;
  purge: PurgeResult;
  purgeSeconds: number;
  writes: number;
  failures: string[];
  newNodes: { created: number; surviving: number };
  oldRunsLeft: number;
  baseline: { calls: number; p50_ms: number; p99_ms: number };
  duringPurge: { calls: number; p50_ms: number; p99_ms: number };
  /** Writes that started after the purge began and finished before it ended. */
  completedDuringPurge: number;
}

function latency(calls: [number, number][], from: number, to: number) {
  const lat = calls.filter(([t]) => t >= from && t <= to).map(([, us]) => us).sort((a, b) => a - b);
  return { calls: lat.length, p50_ms: percentile(lat, 50) / 1000, p99_ms: percentile(lat, 99) / 1000 };
}

/**
 * Seeds `oldRuns` runs, starts the server, lets `writers` clients write new runs for
 * `baselineMs`, then purges the old runs (PurgeContexts over gRPC, in batches of
 * `batchSize`) while they keep writing, stops them, and checks what survived.
 */
export async function purgeUnderLoad(config: DatabaseConfig, options: { oldRuns: number; writers: number; batchSize: number; baselineMs: number; serverFlags?: string[] }): Promise<LoadReport> {
  const ns = `load${Date.now().toString(36)}.`;
  const db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 4 });
  const server = await (async () => {
    try {
      const seeded = await seedOldRuns(db, options.oldRuns, ns, config.kind === 'sqlite' ? 1 : 4);
      return { seeded, process: await startServerProcess(config, options.serverFlags) };
    } catch (e) {
      await db.close();
      throw e;
    }
  })();
  const { seeded } = server;
  const port = server.process.port;
  try {
    let stopping = false;
    const writers = Array.from({ length: options.writers }, (_, i) => writeNewRuns(port, seeded, ns, i, () => stopping));
    const baselineFrom = Date.now();
    await new Promise((r) => setTimeout(r, options.baselineMs));
    const purgeFrom = Date.now();
    const retention = new RetentionServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    const purged = await unary<PurgeContextsResponse>(retention.purgeContexts.bind(retention), {
      options: { filterQuery: `type = '${ns}system.PipelineRun' AND custom_properties.namespace.string_value = 'old'`, dryRun: false, batchSize: options.batchSize },
    });
    const purgeTo = Date.now();
    retention.close();
    stopping = true;
    const results = await Promise.all(writers);
    const calls = results.flatMap((r) => r.calls);
    const created = results.reduce((s, r) => s + r.contexts.length + r.executions.length + r.artifacts.length, 0);
    let surviving = 0;
    for (const r of results) {
      surviving += await countExisting(db, 'Context', r.contexts);
      surviving += await countExisting(db, 'Execution', r.executions);
      surviving += await countExisting(db, 'Artifact', r.artifacts);
    }
    return {
      oldRuns: options.oldRuns,
      writers: options.writers,
      purge: purged.result!,
      purgeSeconds: (purgeTo - purgeFrom) / 1000,
      writes: calls.length,
      failures: results.flatMap((r) => r.failures),
      newNodes: { created, surviving },
      oldRunsLeft: await countExisting(db, 'Context', seeded.oldRunIds),
      baseline: latency(calls, baselineFrom, purgeFrom),
      duringPurge: latency(calls, purgeFrom, purgeTo),
      // calls hold [end time, latency]: the start is the end less the latency.
      completedDuringPurge: calls.filter(([end, us]) => end - us / 1000 >= purgeFrom && end <= purgeTo).length,
    };
  } finally {
    server.process.child.kill('SIGTERM');
    await server.process.exited;
    await db.close();
  }
}

async function main(): Promise<void> {
  const backend = process.env.PURGE_BENCH_BACKEND ?? 'sqlite';
  const options = {
    oldRuns: Number(process.env.PURGE_BENCH_RUNS ?? 5000),
    writers: Number(process.env.PURGE_BENCH_WRITERS ?? 8),
    batchSize: Number(process.env.PURGE_BENCH_BATCH ?? 1000),
    baselineMs: Number(process.env.PURGE_BENCH_BASELINE_MS ?? 5000),
    serverFlags: (process.env.PURGE_BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean),
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-purge-bench-'));
  let config: DatabaseConfig = { kind: 'sqlite', filename: path.join(dir, 'bench.sqlite') };
  const servers = backend === 'sqlite' ? undefined : await startDbServers({ wanted: [backend as 'mariadb' | 'postgres'], requireBinaries: true });
  try {
    if (servers) {
      const info = servers.servers[backend as 'mariadb' | 'postgres'];
      if (!info.available) throw new Error(`${backend} unavailable: ${info.reason}`);
      config =
        backend === 'mariadb'
          ? { kind: 'mysql', host: info.host, port: info.port, user: info.user, password: info.password, database: 'purge_bench' }
          : { kind: 'postgres', host: info.host, port: info.port, user: info.user, password: info.password, dbname: 'purge_bench' };
    }
    console.error(`[${backend}] seeding ${options.oldRuns} old runs, then ${options.writers} writers, purge in batches of ${options.batchSize}`);
    const report = await purgeUnderLoad(config, options);
    const ratio = report.duringPurge.p99_ms / report.baseline.p99_ms;
    console.log(JSON.stringify({ backend, ...report, purge: { ...report.purge, counts: Object.fromEntries(Object.entries(report.purge.counts ?? {}).map(([k, v]) => [k, Number(v)])), sampleContextIds: undefined, sampleExecutionIds: undefined, sampleArtifactIds: undefined }, failures: report.failures.slice(0, 5), p99_ratio_during_vs_before: ratio }, null, 2));
  } finally {
    await servers?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
