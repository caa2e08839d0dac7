/**
 * Cost of one RPC on our server: wall time at the client and the server process's CPU.
 *
 *   npx tsx bench/rpc_cost.ts [serverTreeDir]
 *
 * Starts the server of `serverTreeDir` (default: the tree this file is in) as its own process
 * (`node --import tsx <dir>/src/main.ts --workers=1 --grpc_port=P --metrics_port=0
 * --sqlite_path=<tmp>`), writes a small Kubeflow-shaped population over gRPC and calls, one
 * call at a time from one grpc-js client: GetContextByTypeAndName, GetArtifactsByID of three
 * artifacts with properties, GetArtifactsByID of 100 artifacts with 6 properties each and
 * GetEventsByArtifactIDs of them (200 events with a path step: mlmd_bench's two read shapes),
 * and PutExecution of a task (execution, one input and one output artifact, its run context).
 * For each it prints the wall µs per call and the server's CPU µs per call, from
 * /proc/<pid>/stat (utime + stime of every thread of the process). CPU per call is the
 * steadier number on a shared machine; wall time moves with the machine's load.
 * A benchmark: nothing passes or fails.
 *
 * Each RPC is measured after its own warm-up calls: V8 compiles hot code in the background and
 * every store thread is an isolate of its own, so the first few hundred calls of a path cost
 * two to three times what the same call costs once it is compiled.
 *
 * Knobs: RPC_COST_CALLS [2000] calls per RPC; RPC_COST_WARM_UP [1000] warm-up calls per RPC;
 * RPC_COST_DIST=1 runs the built server (`node <dir>/dist/src/main.js`, as deployed: run
 * `npm run build` in that tree first) instead of the sources under tsx; RPC_COST_NODE_ARGS,
 * extra node flags for the server (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`);
 * RPC_COST_BACKEND [sqlite] or `mariadb` (a throwaway MariaDB, as `npm run bench` starts: its
 * CPU is not counted); RPC_COST_ONLY, comma-separated fragments of the RPC names;
 * RPC_COST_SERVER_FLAGS, extra server flags (space-separated).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Event_Type, PropertyType } from '../src/generated/ml_metadata/proto/metadata_store';
import { MetadataStoreServiceClient } from '../src/generated/ml_metadata/proto/metadata_store_service';
import { freePort, startDbServers } from '../test/support/db_servers';
import { callRpc } from '../test/transport/grpc_test_client';
import type { RpcMethod } from '../src/store/rpc';

const CALLS = Number(process.env.RPC_COST_CALLS ?? 2000);
const WARM_UP = Number(process.env.RPC_COST_WARM_UP ?? 1000);
const BACKEND = process.env.RPC_COST_BACKEND ?? 'sqlite';
const ONLY = (process.env.RPC_COST_ONLY ?? '').split(',').filter(Boolean);
/** /proc/<pid>/stat counts in clock ticks; Linux reports USER_HZ = 100. */
const MS_PER_TICK = 10;

function serverCpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // After "pid (comm) ": state is field 0, utime field 11, stime field 12.
  return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
}

async function main(): Promise<void> {
  const tree = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpc-cost-'));
  if (BACKEND !== 'sqlite' && BACKEND !== 'mariadb') throw new Error(`RPC_COST_BACKEND must be sqlite or mariadb, not ${BACKEND}`);
  const servers = BACKEND === 'mariadb' ? await startDbServers({ wanted: ['mariadb'], requireBinaries: true }) : undefined;
  const db = servers?.servers.mariadb;
  if (db && !db.available) throw new Error(db.reason);
  const storeFlags = db
    ? [
        `--mysql_config_host=${db.host}`,
        `--mysql_config_port=${db.port}`,
        `--mysql_config_database=rpc_cost`,
        `--mysql_config_user=${db.user}`,
        `--mysql_config_password=${db.password}`,
      ]
    : [`--sqlite_path=${path.join(dir, 'mlmd.db')}`];
  const server = spawn(
    process.execPath,
    [
      ...(process.env.RPC_COST_NODE_ARGS ?? '').split(' ').filter(Boolean),
      ...(process.env.RPC_COST_DIST === '1' ? [path.join(tree, 'dist/src/main.js')] : ['--import', 'tsx', path.join(tree, 'src/main.ts')]),
      '--workers=1',
      `--grpc_port=${port}`,
      '--metrics_port=0',
      ...storeFlags,
      ...(process.env.RPC_COST_SERVER_FLAGS ?? '').split(' ').filter(Boolean),
    ],
    { cwd: tree, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const pid = server.pid!;
  const client = new MetadataStoreServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const call = async <T>(method: RpcMethod, request: unknown): Promise<T> => {
    const r = await callRpc(client, method, request, undefined, 30_000);
    if (!r.ok) throw new Error(`${method}: code ${r.code}: ${r.details}`);
    return r.response as T;
  };
  try {
    await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 90_000, (e) => (e ? reject(e) : resolve())));
    // The port opens before the store when start-up waits; retry until calls are served.
    for (let i = 0; ; i++) {
      const r = await callRpc(client, 'getContextTypes', {}, undefined, 5_000);
      if (r.ok) break;
      if (i > 300) throw new Error(`the server does not serve calls: ${r.details}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    const { typeId: runType } = await call<{ typeId: bigint }>('putContextType', { contextType: { name: 'system.PipelineRun', properties: { namespace: PropertyType.STRING } } });
    const { typeId: taskType } = await call<{ typeId: bigint }>('putExecutionType', { executionType: { name: 'system.ContainerExecution', properties: { task_name: PropertyType.STRING } } });
    const { typeId: dataType } = await call<{ typeId: bigint }>('putArtifactType', { artifactType: { name: 'system.Dataset', properties: { rows: PropertyType.INT } } });
    const {
      contextIds: [runId],
    } = await call<{ contextIds: bigint[] }>('putContexts', { contexts: [{ typeId: runType, name: 'run-1', properties: { namespace: { stringValue: 'team-a' } } }] });
    const { artifactIds } = await call<{ artifactIds: bigint[] }>('putArtifacts', {
      artifacts: [0, 1, 2].map((i) => ({ typeId: dataType, uri: `s3://bucket/data-${i}`, properties: { rows: { intValue: BigInt(i) } }, customProperties: { note: { stringValue: 'x' } } })),
    });
    const { artifactIds: hundred } = await call<{ artifactIds: bigint[] }>('putArtifacts', {
      artifacts: Array.from({ length: 100 }, (_, i) => ({
        typeId: dataType,
        uri: `s3://bucket/many-${i}`,
        properties: { rows: { intValue: BigInt(i) } },
        customProperties: { a: { stringValue: 'a'.repeat(32) }, b: { stringValue: 'b'.repeat(32) }, c: { stringValue: 'c'.repeat(32) }, d: { doubleValue: i / 7 }, e: { intValue: 7n } },
      })),
    });
    const {
      executionIds: [producer, consumer],
    } = await call<{ executionIds: bigint[] }>('putExecutions', { executions: [{ typeId: taskType }, { typeId: taskType }] });
    await call('putEvents', {
      events: hundred.flatMap((artifactId) => [
        { artifactId, executionId: producer, type: Event_Type.OUTPUT, path: { steps: [{ key: 'out' }] } },
        { artifactId, executionId: consumer, type: Event_Type.INPUT, path: { steps: [{ key: 'in' }] } },
      ]),
    });
    let task = 0;
    let newType = 0;
    const rpcs: [string, () => Promise<unknown>][] = [
      ['GetContextByTypeAndName', () => call('getContextByTypeAndName', { typeName: 'system.PipelineRun', contextName: 'run-1' })],
      ['GetArtifactsByID (3 with properties)', () => call('getArtifactsById', { artifactIds })],
      ['GetArtifactsByID (100, 6 properties each)', () => call('getArtifactsById', { artifactIds: hundred })],
      ['GetEventsByArtifactIDs (100 -> 200 events)', () => call('getEventsByArtifactIDs', { artifactIds: hundred })],
      ['PutArtifactType (stored, unchanged)', () => call('putArtifactType', { artifactType: { name: 'system.Dataset', properties: { rows: PropertyType.INT } } })],
      ['PutArtifactType (new, 5 properties)', () => call('putArtifactType', { artifactType: { name: `new.Type${newType++}`, properties: { a: 1, b: 2, c: 3, d: 1, e: 3 } } })],
      [
        'PutExecution (task: 1 in, 1 out, run context)',
        () => {
          task++;
          return call('putExecution', {
            execution: { typeId: taskType, name: `task-${task}`, properties: { task_name: { stringValue: `t${task}` } } },
            artifactEventPairs: [
              { event: { artifactId: artifactIds[0], type: Event_Type.INPUT } },
              { artifact: { typeId: dataType, uri: `s3://bucket/out-${task}`, properties: { rows: { intValue: 1n } } }, event: { type: Event_Type.OUTPUT } },
            ],
            contexts: [{ id: runId, typeId: runType, name: 'run-1', properties: { namespace: { stringValue: 'team-a' } } }],
          });
        },
      ],
    ];
    console.log(`server: ${tree} on ${BACKEND} (${CALLS} calls each, one at a time)`);
    for (const [name, f] of rpcs) {
      if (ONLY.length > 0 && !ONLY.some((o) => name.includes(o))) continue;
      for (let i = 0; i < WARM_UP; i++) await f();
      const cpu0 = serverCpuMs(pid);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) await f();
      const wallUs = Number(process.hrtime.bigint() - t0) / 1e3 / CALLS;
      const cpuUs = ((serverCpuMs(pid) - cpu0) * 1000) / CALLS;
      console.log(`${name.padEnd(48)} ${wallUs.toFixed(0).padStart(6)} µs wall  ${cpuUs.toFixed(0).padStart(6)} µs server CPU`);
    }
  } finally {
    client.close();
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await servers?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
