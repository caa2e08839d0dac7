/**
 * What `--tenancy=enforce` costs: the same calls against two servers of this tree on ONE
 * database, one with tenancy off and one enforcing it, measured in one run and interleaved.
 *
 *   npx tsx bench/tenancy_overhead.ts                       # SQLite and MariaDB
 *   TENANCY_BENCH_BACKENDS=postgres npx tsx bench/tenancy_overhead.ts
 *   TENANCY_BENCH_BACKENDS=mariadb TENANCY_BENCH_RUNS=400 npx tsx bench/tenancy_overhead.ts
 *
 * The database holds a Kubeflow-shaped population written through a third server beforehand: RUNS
 * pipeline runs (`system.PipelineRun` contexts with a `namespace` custom property, as Kubeflow's
 * driver writes them, half team-a, half
 * team-b, all in one shared `system.Pipeline` context), each of TASKS container executions
 * chained by datasets (task i reads task i-1's output), written with PutExecution as
 * Kubeflow's launcher does; ownership is kept in the same transactions, tenancy on or off.
 * The "enforce" server believes `kubeflow-userid` on its gRPC port and grants, by a static
 * policy, team-a to alice; both servers get the same header, which the "off" one ignores.
 * So the enforce figures include resolving the principal, the policy lookup, the SQL
 * visibility filter of every read (half the nodes are foreign) and the write checks.
 *
 * For each RPC, ROUNDS rounds of CALLS calls on each server, the order alternating per round;
 * the table gives mean client latency per server and enforce/off. One client, one call at a
 * time, --workers=1 for both. A benchmark: nothing passes or fails.
 *
 * Knobs: TENANCY_BENCH_BACKENDS [sqlite,mariadb; postgres too], TENANCY_BENCH_RUNS [200], TENANCY_BENCH_TASKS
 * [5], TENANCY_BENCH_ROUNDS [10], TENANCY_BENCH_CALLS [40], TENANCY_BENCH_A_A=1 (both servers
 * off: what the method itself reports as a difference).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { Event_Type, PropertyType } from '../src/generated/ml_metadata/proto/metadata_store';
import { MetadataStoreServiceClient } from '../src/generated/ml_metadata/proto/metadata_store_service';
import { freePort, startDbServers, type DbServers } from '../test/support/db_servers';
import { callRpc } from '../test/transport/grpc_test_client';
import type { RpcMethod } from '../src/store/rpc';

const REPO = path.resolve(__dirname, '..');
const BACKENDS = (process.env.TENANCY_BENCH_BACKENDS ?? 'sqlite,mariadb').split(',').filter(Boolean);
const RUNS = Number(process.env.TENANCY_BENCH_RUNS ?? 200);
const TASKS = Number(process.env.TENANCY_BENCH_TASKS ?? 5);
const ROUNDS = Number(process.env.TENANCY_BENCH_ROUNDS ?? 10);
const CALLS = Number(process.env.TENANCY_BENCH_CALLS ?? 40);
/** An A/A check of the method: the "enforce" server runs with tenancy off too; ratios show the noise. */
const A_A = process.env.TENANCY_BENCH_A_A === '1';
const WARM_UP = 300;

interface Subject {
  name: 'off' | 'enforce';
  process: ChildProcess;
  client: MetadataStoreServiceClient;
}

async function startServer(name: Subject['name'], databaseFlags: string[], dir: string): Promise<Subject> {
  const port = await freePort();
  const flags = [`--grpc_port=${port}`, '--metrics_port=0', '--workers=1', ...databaseFlags];
  if (name === 'enforce' && !A_A) {
    const policy = path.join(dir, 'policy.yaml');
    fs.writeFileSync(policy, 'bindings:\n  - namespace: team-a\n    users: [alice@example.com]\n  - namespace: team-b\n    users: [bob@example.com]\n');
    const config = path.join(dir, 'tenancy.yaml');
    fs.writeFileSync(
      config,
      [
        'identity:',
        '  user_headers:',
        '    user_header: kubeflow-userid',
        '    trusted_listeners: [grpc]',
        'authorization:',
        `  static_policy_file: ${policy}`,
        'unowned: system-only',
        'anonymous:',
        '  grpc: deny',
        '',
      ].join('\n'),
    );
    flags.push('--tenancy=enforce', `--tenancy_config_file=${config}`);
  }
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/main.ts'), ...flags], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  const client = new MetadataStoreServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 90_000, (e) => (e ? reject(e) : resolve())));
  // The port opens before the store while start-up waits for the database: poll with a read
  // (never retry a write, which may have been applied).
  for (let attempt = 0; ; attempt++) {
    const r = await callRpc(client, 'getContextTypes', {}, alice(), 5_000);
    if (r.ok) break;
    if (attempt > 300) throw new Error(`${name}: the server does not serve calls: ${r.details}`);
    await new Promise((res) => setTimeout(res, 200));
  }
  return { name, process: child, client };
}

async function stop(subject: Subject): Promise<void> {
  subject.client.close();
  subject.process.kill('SIGTERM');
  await new Promise((r) => (subject.process.exitCode === null ? subject.process.once('exit', r) : r(undefined)));
}

const alice = () => {
  const m = new Metadata();
  m.set('kubeflow-userid', 'alice@example.com');
  return m;
};

async function call<T>(subject: Subject, method: RpcMethod, request: unknown): Promise<T> {
  const r = await callRpc(subject.client, method, request, alice(), 30_000);
  if (!r.ok) throw new Error(`${subject.name} ${method}: code ${r.code}: ${r.details}`);
  return r.response as T;
}

interface Population {
  runType: bigint;
  taskType: bigint;
  dataType: bigint;
  /** team-a's first run: its id, name, executions and artifacts. */
  run: { id: bigint; name: string; executions: bigint[]; artifacts: bigint[] };
}

async function populate(off: Subject): Promise<Population> {
  const { typeId: runType } = await call<{ typeId: bigint }>(off, 'putContextType', { contextType: { name: 'system.PipelineRun' } });
  const { typeId: pipelineType } = await call<{ typeId: bigint }>(off, 'putContextType', { contextType: { name: 'system.Pipeline' } });
  const { typeId: taskType } = await call<{ typeId: bigint }>(off, 'putExecutionType', { executionType: { name: 'system.ContainerExecution', properties: { task_name: PropertyType.STRING } } });
  const { typeId: dataType } = await call<{ typeId: bigint }>(off, 'putArtifactType', { artifactType: { name: 'system.Dataset', properties: { rows: PropertyType.INT } } });
  const {
    contextIds: [pipelineId],
  } = await call<{ contextIds: bigint[] }>(off, 'putContexts', { contexts: [{ typeId: pipelineType, name: 'shared-pipeline' }] });
  let first: Population['run'] | undefined;
  for (let r = 0; r < RUNS; r++) {
    const namespace = r % 2 === 0 ? 'team-a' : 'team-b';
    const name = `run-${r}`;
    const {
      contextIds: [runId],
    } = await call<{ contextIds: bigint[] }>(off, 'putContexts', { contexts: [{ typeId: runType, name, customProperties: { namespace: { stringValue: namespace } } }] });
    const executions: bigint[] = [];
    const artifacts: bigint[] = [];
    for (let t = 0; t < TASKS; t++) {
      const input = artifacts.length ? [{ event: { artifactId: artifacts[artifacts.length - 1], type: Event_Type.INPUT } }] : [];
      const answer = await call<{ executionId: bigint; artifactIds: bigint[] }>(off, 'putExecution', {
        execution: { typeId: taskType, name: `${name}-task-${t}`, properties: { task_name: { stringValue: `task-${t}` } } },
        artifactEventPairs: [...input, { artifact: { typeId: dataType, uri: `s3://bucket/${name}/${t}`, properties: { rows: { intValue: BigInt(t) } } }, event: { type: Event_Type.OUTPUT } }],
        contexts: [
          { id: runId, typeId: runType, name, customProperties: { namespace: { stringValue: namespace } } },
          { id: pipelineId, typeId: pipelineType, name: 'shared-pipeline' },
        ],
      });
      executions.push(answer.executionId);
      artifacts.push(answer.artifactIds[answer.artifactIds.length - 1]);
    }
    first ??= { id: runId, name, executions, artifacts };
  }
  return { runType, taskType, dataType, run: first! };
}

function workloads(p: Population): [string, (s: Subject) => Promise<unknown>][] {
  let written = 0;
  const { run } = p;
  return [
    ['GetContextByTypeAndName (run)', (s) => call(s, 'getContextByTypeAndName', { typeName: 'system.PipelineRun', contextName: run.name })],
    ['GetExecutionsByContext (run)', (s) => call(s, 'getExecutionsByContext', { contextId: run.id })],
    ['GetArtifactsByContext (run)', (s) => call(s, 'getArtifactsByContext', { contextId: run.id })],
    ['GetEventsByExecutionIDs (run)', (s) => call(s, 'getEventsByExecutionIDs', { executionIds: run.executions })],
    ['GetArtifactsByID (run)', (s) => call(s, 'getArtifactsById', { artifactIds: run.artifacts })],
    ['GetArtifacts (page of 100)', (s) => call(s, 'getArtifacts', { options: { maxResultSize: 100 } })],
    ['GetExecutions (filter on type)', (s) => call(s, 'getExecutions', { options: { maxResultSize: 100, filterQuery: "type = 'system.ContainerExecution'" } })],
    ['GetLineageSubgraph (run output)', (s) => call(s, 'getLineageSubgraph', { lineageSubgraphQueryOptions: { startingArtifacts: { filterQuery: `id = ${run.artifacts[TASKS - 1]}` }, maxNumHops: 20n } })],
    [
      'PutExecution (task in the run)',
      (s) => {
        written++;
        return call(s, 'putExecution', {
          execution: { typeId: p.taskType, name: `${run.name}-extra-${s.name}-${written}`, properties: { task_name: { stringValue: 'extra' } } },
          artifactEventPairs: [
            { event: { artifactId: run.artifacts[0], type: Event_Type.INPUT } },
            { artifact: { typeId: p.dataType, uri: `s3://bucket/extra/${s.name}/${written}` }, event: { type: Event_Type.OUTPUT } },
          ],
          contexts: [{ id: run.id, typeId: p.runType, name: run.name, customProperties: { namespace: { stringValue: 'team-a' } } }],
        });
      },
    ],
  ];
}

async function measure(subjects: Subject[], work: (s: Subject) => Promise<unknown>): Promise<Map<string, number>> {
  const totalUs = new Map<string, number>(subjects.map((s) => [s.name, 0]));
  for (let i = 0; i < WARM_UP; i++) for (const s of subjects) await work(s);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? subjects : [...subjects].reverse();
    for (const s of order) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) await work(s);
      totalUs.set(s.name, totalUs.get(s.name)! + Number(process.hrtime.bigint() - t0) / 1e3);
    }
  }
  return new Map([...totalUs].map(([k, v]) => [k, v / (ROUNDS * CALLS)]));
}

async function benchBackend(backend: string, servers: DbServers | undefined): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenancy-bench-'));
  let databaseFlags: string[];
  if (backend === 'sqlite') {
    databaseFlags = [`--sqlite_path=${path.join(dir, 'mlmd.sqlite')}`];
  } else if (backend === 'postgres') {
    const info = servers!.servers.postgres;
    if (!info.available) throw new Error(`PostgreSQL unavailable: ${info.reason}`);
    databaseFlags = [
      '--metadata_source_config_type=postgresql',
      `--postgres_config_host=${info.host}`,
      `--postgres_config_port=${info.port}`,
      `--postgres_config_dbname=tenancy_bench_${process.pid}`,
      `--postgres_config_user=${info.user}`,
      `--postgres_config_password=${info.password}`,
    ];
  } else {
    const info = servers!.servers.mariadb;
    if (!info.available) throw new Error(`MariaDB unavailable: ${info.reason}`);
    databaseFlags = [
      `--mysql_config_host=${info.host}`,
      `--mysql_config_port=${info.port}`,
      `--mysql_config_database=tenancy_bench_${process.pid}`,
      `--mysql_config_user=${info.user}`,
      `--mysql_config_password=${info.password}`,
    ];
  }
  const subjects: Subject[] = [];
  try {
    // A third server (tenancy off) creates the schema and writes the population, and stops:
    // the two subjects then start alike, cold, and warm up alike. (Populating through the off
    // subject left the other one's code colder: an A/A run reported up to 1.4×.)
    const writer = await startServer('off', databaseFlags, dir);
    let population: Population;
    try {
      population = await populate(writer);
    } finally {
      await stop(writer);
    }
    subjects.push(await startServer('off', databaseFlags, dir));
    subjects.push(await startServer('enforce', databaseFlags, dir));
    const visible = await call<{ artifacts?: unknown[] }>(subjects[1], 'getArtifacts', { options: { maxResultSize: 100 } });
    const all = await call<{ artifacts?: unknown[] }>(subjects[0], 'getArtifacts', { options: { maxResultSize: 100 } });
    console.log(`\n${backend}: ${RUNS} runs × ${TASKS} tasks; a page of 100 artifacts holds ${all.artifacts?.length ?? 0} off, ${visible.artifacts?.length ?? 0} enforce (alice: team-a only)`);
    console.log(`${'rpc'.padEnd(34)} ${'off µs'.padStart(8)} ${'enforce µs'.padStart(11)}  enforce/off`);
    for (const [name, work] of workloads(population)) {
      const mean = await measure(subjects, work);
      const [off, enforce] = [mean.get('off')!, mean.get('enforce')!];
      console.log(`${name.padEnd(34)} ${off.toFixed(0).padStart(8)} ${enforce.toFixed(0).padStart(11)}  ${(enforce / off).toFixed(2)}×`);
    }
  } finally {
    for (const s of subjects) await stop(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const wanted = (['mariadb', 'postgres'] as const).filter((b) => BACKENDS.includes(b));
  const servers = wanted.length ? await startDbServers({ wanted: [...wanted], requireBinaries: true }) : undefined;
  const started = Date.now();
  try {
    for (const backend of BACKENDS) await benchBackend(backend, servers);
  } finally {
    await servers?.stop();
  }
  console.log(`\nfinished in ${((Date.now() - started) / 1000).toFixed(0)} s, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
