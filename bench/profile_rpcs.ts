/**
 * Where one small RPC's time goes. Starts a throwaway MariaDB and our server (one process,
 * `node --cpu-prof`, default log level), then calls a few hot RPCs in a loop from this
 * process and prints, per RPC: mean latency at the client, the statements the server sent
 * per call (MariaDB's general_log, which counts every statement including BEGIN/COMMIT), and
 * then a breakdown of the server's CPU profile by where the sampled code lives (gRPC, Knex,
 * mysql2, pino, protobuf encode/decode, our src/, idle, ...).
 *
 *   npx tsx bench/profile_rpcs.ts [calls=2000] [rpc fragment,...]
 *
 * A benchmark, not a test: on a shared machine the absolute times are noisy; the statement
 * counts and the shape of the profile are what to read.
 */
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { MetadataStoreServiceClient } from '../src/generated/ml_metadata/proto/metadata_store_service';
import { Event_Type, PropertyType } from '../src/generated/ml_metadata/proto/metadata_store';
import { freePort, startDbServers } from '../test/support/db_servers';

const CALLS = Number(process.argv[2] ?? 2000);
const ONLY = (process.argv[3] ?? '').split(',').filter(Boolean);
const REPO = path.resolve(__dirname, '..');

type Unary = (req: unknown, cb: (e: ServiceError | null, r: any) => void) => void;
function call<T = any>(client: MetadataStoreServiceClient, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    ((client as unknown as Record<string, Unary>)[method]).call(client, request, (e, r) => (e ? reject(e) : resolve(r))),
  );
}

/** Self time of a profile's samples, grouped by where the code lives. */
function summarizeProfile(file: string): { category: string; share: number }[] {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { url: string; functionName: string } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const category = new Map<number, string>();
  for (const n of profile.nodes) {
    const { url, functionName } = n.callFrame;
    let c: string;
    if (functionName === '(idle)') c = 'idle (waiting on the database or the client)';
    else if (functionName === '(garbage collector)') c = 'garbage collection';
    else if (functionName === '(program)') c = 'V8/native (program)';
    else if (url.includes('node_modules/knex')) c = 'Knex (query building, transactions)';
    else if (url.includes('node_modules/mysql2')) c = 'mysql2 driver (protocol, row parsing)';
    else if (url.includes('node_modules/@grpc')) c = 'grpc-js (HTTP/2 framing, call handling)';
    else if (url.includes('node_modules/protobufjs') || url.includes('src/generated')) c = 'protobuf encode/decode';
    else if (url.includes('node_modules/pino') || url.includes('sonic-boom') || url.includes('fast-redact')) c = 'pino (logging)';
    else if (url.includes('node_modules/prom-client')) c = 'prom-client (metrics)';
    else if (url.includes('/src/transport/interceptors') || url.includes('/src/observability')) c = 'our interceptors and observability';
    else if (url.includes('/src/')) c = 'our store/repositories/database code';
    else if (url.startsWith('node:') || url === '') c = 'Node core (sockets, http2, timers, streams)';
    else c = 'other modules';
    category.set(n.id, c);
  }
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    all += dt;
    const c = category.get(id) ?? 'other';
    totals.set(c, (totals.get(c) ?? 0) + dt);
  });
  return [...totals.entries()].map(([c, t]) => ({ category: c, share: t / all })).sort((a, b) => b.share - a.share);
}

/**
 * With PROFILE_STATEMENTS=1: the statements of one more call, each with the microseconds since
 * the previous one as MariaDB logged them (the gaps show where the server, not the database, spent
 * the call).
 */
async function printStatementsOfOneCall(admin: ReturnType<typeof knexFactory>, run: () => Promise<unknown>): Promise<void> {
  await admin.raw('TRUNCATE mysql.general_log');
  await admin.raw('SET GLOBAL general_log = 1');
  await run();
  await admin.raw('SET GLOBAL general_log = 0');
  const [rows] = (await admin.raw(
    `SELECT CAST(event_time AS CHAR(26)) AS t, thread_id, command_type, CAST(argument AS CHAR(10000)) AS a FROM mysql.general_log
      WHERE command_type IN ('Query', 'Execute', 'Prepare') AND argument NOT LIKE 'SET GLOBAL%' ORDER BY event_time`,
  )) as [{ t: string; thread_id: number; command_type: string; a: string }[]];
  let previous: number | undefined;
  for (const r of rows) {
    const at = Date.parse(r.t.slice(0, 23).replace(' ', 'T') + 'Z') * 1000 + Number(r.t.slice(23, 26));
    const gap = previous === undefined ? 0 : at - previous;
    previous = at;
    console.log(`    +${String(gap).padStart(6)} µs  [${r.thread_id}] ${r.command_type.padEnd(7)} ${r.a.replace(/\s+/g, ' ').slice(0, 160)}`);
  }
}

async function main(): Promise<void> {
  const servers = await startDbServers({ wanted: ['mariadb'], requireBinaries: true });
  const db = servers.servers.mariadb;
  if (!db.available) throw new Error(db.reason);
  const profDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-prof-'));
  const port = await freePort();
  const database = `prof_${Date.now()}`;
  const server = spawn(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${profDir}`,
      '--import',
      'tsx',
      path.join(REPO, 'src/main.ts'),
      `--grpc_port=${port}`,
      '--metrics_port=0',
      '--workers=1',
      `--mysql_config_host=${db.host}`,
      `--mysql_config_port=${db.port}`,
      `--mysql_config_database=${database}`,
      `--mysql_config_user=${db.user}`,
      `--mysql_config_password=${db.password}`,
    ],
    { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const admin = knexFactory({ client: 'mysql2', connection: { host: db.host, port: db.port, user: db.user, password: db.password } });
  try {
    const client = new MetadataStoreServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 60_000, (e) => (e ? reject(e) : resolve())));

    // Population: a context with properties, 100 artifacts with 6 properties, Kubeflow-like types.
    const props = { p0: PropertyType.STRING, p1: PropertyType.STRING, p2: PropertyType.STRING, n: PropertyType.INT, x: PropertyType.DOUBLE };
    const { typeId: artifactType } = await call(client, 'putArtifactType', { artifactType: { name: 'bench.Artifact', properties: props } });
    const { typeId: executionType } = await call(client, 'putExecutionType', { executionType: { name: 'bench.Execution', properties: { p0: PropertyType.STRING, n: PropertyType.INT } } });
    const { typeId: contextType } = await call(client, 'putContextType', { contextType: { name: 'bench.Run', properties: { p0: PropertyType.STRING } } });
    const artifactProps = (i: number) => ({
      properties: { p0: { stringValue: 'a'.repeat(32) }, p1: { stringValue: 'b'.repeat(32) }, p2: { stringValue: 'c'.repeat(32) }, n: { intValue: BigInt(i) }, x: { doubleValue: i / 3 } },
      customProperties: { c: { stringValue: 'custom' } },
    });
    const { artifactIds } = await call(client, 'putArtifacts', {
      artifacts: Array.from({ length: 100 }, (_, i) => ({ typeId: artifactType, uri: `/data/${i}`, ...artifactProps(i) })),
    });
    const {
      contextIds: [contextId],
    } = await call(client, 'putContexts', { contexts: [{ typeId: contextType, name: 'run-1', properties: { p0: { stringValue: 'x' } }, customProperties: { k: { intValue: 1n } } }] });
    const { executionIds } = await call(client, 'putExecutions', { executions: Array.from({ length: Math.max(1000, CALLS + 100) }, () => ({ typeId: executionType })) });
    await call(client, 'putAttributionsAndAssociations', { attributions: artifactIds.map((artifactId: bigint) => ({ artifactId, contextId })), associations: [] });
    const [inputArtifact] = (await call(client, 'getArtifactsById', { artifactIds: [artifactIds[0]] })).artifacts;

    let k = 0;
    const workloads: Record<string, () => Promise<unknown>> = {
      GetContextByTypeAndName: () => call(client, 'getContextByTypeAndName', { typeName: 'bench.Run', contextName: 'run-1' }),
      'GetArtifactsByID(1)': () => call(client, 'getArtifactsById', { artifactIds: [artifactIds[k++ % 100]] }),
      'GetArtifactsByID(100)': () => call(client, 'getArtifactsById', { artifactIds }),
      // mlmd_bench's FillNodes(batch=1) and FillEvents(batch=10), and the Python client's
      // GetArtifactsByContext (it always sends paging options) of ReadNodesViaContextEdges.
      'PutArtifacts(1)': () => call(client, 'putArtifacts', { artifacts: [{ typeId: artifactType, uri: `/fill/${k++}`, ...artifactProps(k) }] }),
      'PutEvents(10)': () => {
        // A new (artifact, execution) pair for every event: events are unique per pair and type.
        const executionId = executionIds[k++ % executionIds.length];
        const e = (Math.floor(k / executionIds.length) % 10) * 10;
        return call(client, 'putEvents', {
          events: artifactIds.slice(e, e + 10).map((artifactId: bigint) => ({ artifactId, executionId, type: Event_Type.DECLARED_OUTPUT, path: { steps: [{ key: 'out' }] } })),
        });
      },
      'GetArtifactsByContext(paged)': () => call(client, 'getArtifactsByContext', { contextId, options: { maxResultSize: 100, orderByField: { field: 1, isAsc: false } } }),
      'PutArtifactType(existing)': () => call(client, 'putArtifactType', { artifactType: { name: 'bench.Artifact', properties: props } }),
      'PutArtifactType(new)': () => call(client, 'putArtifactType', { artifactType: { name: `bench.New${k++}`, properties: props } }),
      'PutExecution(kubeflow)': () => {
        const n = k++;
        return call(client, 'putExecution', {
          execution: {
            typeId: executionType,
            name: `exec-${n}`,
            lastKnownState: 3,
            properties: { p0: { stringValue: 'a'.repeat(32) }, n: { intValue: BigInt(n) } },
            customProperties: Object.fromEntries(['display_name', 'task_name', 'pod_name', 'image'].map((c) => [c, { stringValue: `${c}-${n}` }])),
          },
          artifactEventPairs: [
            { artifact: inputArtifact, event: { type: Event_Type.INPUT, path: { steps: [{ key: 'examples' }] } } },
            { artifact: { typeId: artifactType, uri: `/out/${n}`, ...artifactProps(n) }, event: { type: Event_Type.OUTPUT, path: { steps: [{ key: 'model' }] } } },
          ],
          contexts: [
            { typeId: contextType, name: 'kfp-pipeline' },
            { typeId: contextType, name: `kfp-run-${n % 50}` },
          ],
          options: { reuseContextIfAlreadyExist: true },
        });
      },
    };
    await admin.raw("SET GLOBAL log_output = 'TABLE'");
    console.log(`mlmd profile ${new Date().toISOString()}: ${CALLS} sequential calls per RPC, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log('rpc                          mean µs   statements/call');
    for (const [name, run] of Object.entries(workloads)) {
      if (ONLY.length > 0 && !ONLY.some((o) => name.includes(o))) continue;
      for (let i = 0; i < 20; i++) await run();
      const countCalls = 50;
      await admin.raw('TRUNCATE mysql.general_log');
      await admin.raw('SET GLOBAL general_log = 1');
      for (let i = 0; i < countCalls; i++) await run();
      await admin.raw('SET GLOBAL general_log = 0');
      const [[{ n }]] = (await admin.raw(
        `SELECT count(*) AS n FROM mysql.general_log WHERE command_type IN ('Query', 'Execute') AND argument NOT LIKE 'SET GLOBAL%'`,
      )) as [[{ n: number }]];
      if (process.env.PROFILE_STATEMENTS === '1') await printStatementsOfOneCall(admin, run);
      const started = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) await run();
      const meanUs = Number(process.hrtime.bigint() - started) / 1e3 / CALLS;
      console.log(`${name.padEnd(28)} ${meanUs.toFixed(0).padStart(8)}   ${(Number(n) / countCalls).toFixed(1)}`);
    }
    client.close();
  } finally {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
    await admin.destroy();
    await servers.stop();
  }
  const [profile] = fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  if (!profile) throw new Error('no CPU profile was written');
  console.log(`\nserver CPU profile (${path.join(profDir, profile)}), self time by where the code lives:`);
  for (const { category, share } of summarizeProfile(path.join(profDir, profile))) {
    if (share >= 0.005) console.log(`  ${(share * 100).toFixed(1).padStart(5)} %  ${category}`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error((e as Error).stack ?? e);
    process.exit(1);
  },
);
