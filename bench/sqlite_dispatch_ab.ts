/**
 * The SQLite thread boundary alone, without gRPC: one process, one SQLite file, the same three
 * RPCs (GetContextByTypeAndName, GetArtifactsByID of three artifacts, PutExecution of a task)
 * called one at a time through (a) the MetadataStore on the worker client, one thread hop per
 * statement (src/database/sqlite_worker_client.ts), and (b) the store threads, one hop per RPC
 * (src/threads/). The two alternate for SQLBENCH_AB_ROUNDS rounds so that the machine's load
 * falls on both alike; it prints wall µs and process CPU µs (all threads) per call.
 *
 *   npx tsx bench/sqlite_dispatch_ab.ts
 *
 * Knobs: SQLBENCH_AB_CALLS [1000] calls per cell, SQLBENCH_AB_ROUNDS [3]. A benchmark: nothing passes or fails.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/database/open_database';
import { NO_OP_OBSERVER } from '../src/database/observer';
import { Event_Type, PropertyType } from '../src/generated/ml_metadata/proto/metadata_store';
import { MetadataStore } from '../src/store/metadata_store';
import type { RpcMethod } from '../src/store/rpc';
import type { RpcDispatcher } from '../src/transport/service';
import { StoreThreads } from '../src/threads/store_threads';
import { MLMD_MIGRATIONS } from '../migrations';

const CALLS = Number(process.env.SQLBENCH_AB_CALLS ?? 1000);
const ROUNDS = Number(process.env.SQLBENCH_AB_ROUNDS ?? 3);

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-ab-'));
  const config = { kind: 'sqlite' as const, filename: path.join(dir, 'mlmd.db') };
  const db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS });
  const threads = await StoreThreads.open({ config, schemaVersion: db.schemaVersion, timeouts: { connectMs: 5_000, statementMs: 20_000 }, threads: 1, observer: NO_OP_OBSERVER });
  const subjects: [string, RpcDispatcher][] = [
    ['worker client (hop per statement)', new MetadataStore(db)],
    ['store threads (hop per RPC)', threads],
  ];
  const store = subjects[0][1];
  const call = <T>(s: RpcDispatcher, method: RpcMethod, request: unknown) => s.call(method, request as never) as Promise<T>;
  const { typeId: runType } = await call<{ typeId: bigint }>(store, 'putContextType', { contextType: { name: 'system.PipelineRun', properties: { namespace: PropertyType.STRING } } });
  const { typeId: taskType } = await call<{ typeId: bigint }>(store, 'putExecutionType', { executionType: { name: 'system.ContainerExecution', properties: { task_name: PropertyType.STRING } } });
  const { typeId: dataType } = await call<{ typeId: bigint }>(store, 'putArtifactType', { artifactType: { name: 'system.Dataset', properties: { rows: PropertyType.INT } } });
  const {
    contextIds: [runId],
  } = await call<{ contextIds: bigint[] }>(store, 'putContexts', { contexts: [{ typeId: runType, name: 'run-1', properties: { namespace: { stringValue: 'team-a' } } }] });
  const { artifactIds } = await call<{ artifactIds: bigint[] }>(store, 'putArtifacts', {
    artifacts: [0, 1, 2].map((i) => ({ typeId: dataType, uri: `s3://bucket/data-${i}`, properties: { rows: { intValue: BigInt(i) } } })),
  });
  let task = 0;
  const rpcs: [string, (s: RpcDispatcher) => Promise<unknown>][] = [
    ['GetContextByTypeAndName', (s) => call(s, 'getContextByTypeAndName', { typeName: 'system.PipelineRun', contextName: 'run-1' })],
    ['GetArtifactsByID (3)', (s) => call(s, 'getArtifactsById', { artifactIds })],
    [
      'PutExecution (task)',
      (s) =>
        call(s, 'putExecution', {
          execution: { typeId: taskType, name: `task-${++task}`, properties: { task_name: { stringValue: `t${task}` } } },
          artifactEventPairs: [
            { event: { artifactId: artifactIds[0], type: Event_Type.INPUT } },
            { artifact: { typeId: dataType, uri: `s3://bucket/out-${task}` }, event: { type: Event_Type.OUTPUT } },
          ],
          contexts: [{ id: runId, typeId: runType, name: 'run-1', properties: { namespace: { stringValue: 'team-a' } } }],
        }),
    ],
  ];
  const totals = new Map<string, { wall: number; cpu: number }>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [rpc, f] of rpcs) {
      for (const [name, subject] of subjects) {
        for (let i = 0; i < 100; i++) await f(subject);
        const cpu0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < CALLS; i++) await f(subject);
        const wall = Number(process.hrtime.bigint() - t0) / 1e3 / CALLS;
        const c = process.cpuUsage(cpu0);
        const cpu = (c.user + c.system) / CALLS;
        const key = `${rpc} | ${name}`;
        const t = totals.get(key) ?? { wall: 0, cpu: 0 };
        totals.set(key, { wall: t.wall + wall / ROUNDS, cpu: t.cpu + cpu / ROUNDS });
        console.log(`round ${round}  ${key.padEnd(62)} ${wall.toFixed(0).padStart(6)} µs wall ${cpu.toFixed(0).padStart(6)} µs CPU`);
      }
    }
  }
  console.log(`\nmean of ${ROUNDS} rounds, ${CALLS} calls each:`);
  for (const [key, t] of totals) console.log(`${key.padEnd(62)} ${t.wall.toFixed(0).padStart(6)} µs wall ${t.cpu.toFixed(0).padStart(6)} µs CPU`);
  await threads.close();
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
