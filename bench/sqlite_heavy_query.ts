/**
 * Cheap reads beside a heavy lineage query, on a SQLite file.
 *
 *   npx tsx bench/sqlite_heavy_query.ts [serverTreeDir]
 *
 * Starts the server of `serverTreeDir` (default: the tree this file is in) as its own process
 * (`node --import tsx <dir>/src/main.ts --workers=1 --metrics_port=0 --sqlite_path=<tmp>`,
 * `--workers=1` only if that tree knows the flag) on a free loopback port and a fresh SQLite
 * file. It populates about 12,000 nodes as a lineage-heavy graph over gRPC, then measures
 * GetArtifactsByID of one id from READERS concurrent in-flight calls for READ_S seconds,
 * (a) alone and (b) while a second client (its own connection) loops GetLineageSubgraph
 * from the graph's root with max_num_hops 100, which reaches every node. It prints reads/s
 * and p99 for both and their ratios. A benchmark: nothing passes or fails on speed.
 *
 * Knobs: SQLBENCH_READERS [8], SQLBENCH_READ_S [5], SQLBENCH_CHAINS [60].
 */
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Event_Type } from '../src/generated/ml_metadata/proto/metadata_store';
import { MetadataStoreServiceClient } from '../src/generated/ml_metadata/proto/metadata_store_service';
import { callRpc, type Outcome } from '../test/transport/grpc_test_client';
import type { RpcMethod } from '../src/store/rpc';
import { percentile } from './stats';

const READERS = Number(process.env.SQLBENCH_READERS ?? 8);
const READ_S = Number(process.env.SQLBENCH_READ_S ?? 5);
/** Each chain: CHAIN_STEPS executions a→e→a→…; FANOUTS of its artifacts each feed one execution with FANOUT_WIDTH outputs. */
const CHAINS = Number(process.env.SQLBENCH_CHAINS ?? 60);
const CHAIN_STEPS = 45;
const FANOUTS = 4;
const FANOUT_WIDTH = 27;
const POPULATE_CONCURRENCY = 8;
const HARD_LIMIT_MS = 115_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function must<T>(client: MetadataStoreServiceClient, method: RpcMethod, request: unknown, deadlineMs = 20_000): Promise<T> {
  const r: Outcome = await callRpc(client, method, request, undefined, deadlineMs);
  if (!r.ok) throw new Error(`${method}: code ${r.code}: ${r.details}`);
  return r.response as T;
}

interface Populated {
  rootId: bigint;
  probeId: bigint;
  nodes: number;
}

async function populate(client: MetadataStoreServiceClient): Promise<Populated> {
  const { typeId: artType } = await must<{ typeId: bigint }>(client, 'putArtifactType', { artifactType: { name: 'bench.Data' } });
  const { typeId: exeType } = await must<{ typeId: bigint }>(client, 'putExecutionType', { executionType: { name: 'bench.Step' } });
  const {
    artifactIds: [rootId],
  } = await must<{ artifactIds: bigint[] }>(client, 'putArtifacts', { artifacts: [{ typeId: artType, uri: 'bench://root' }] });
  let nodes = 1;
  const fanoutAt = new Set(Array.from({ length: FANOUTS }, (_, i) => Math.floor(((i + 1) * CHAIN_STEPS) / (FANOUTS + 1))));
  const chain = async (c: number) => {
    let prev = rootId;
    const chainArtifacts: bigint[] = [];
    for (let s = 0; s < CHAIN_STEPS; s++) {
      const r = await must<{ executionId: bigint; artifactIds: bigint[] }>(client, 'putExecution', {
        execution: { typeId: exeType, name: `chain${c}/step${s}` },
        artifactEventPairs: [
          { event: { artifactId: prev, type: Event_Type.INPUT } },
          { artifact: { typeId: artType, uri: `bench://chain${c}/a${s}` }, event: { type: Event_Type.OUTPUT } },
        ],
      });
      prev = r.artifactIds[1];
      chainArtifacts.push(prev);
      nodes += 2;
    }
    for (const s of fanoutAt) {
      await must(client, 'putExecution', {
        execution: { typeId: exeType, name: `chain${c}/fanout${s}` },
        artifactEventPairs: [
          { event: { artifactId: chainArtifacts[s], type: Event_Type.INPUT } },
          ...Array.from({ length: FANOUT_WIDTH }, (_, k) => ({
            artifact: { typeId: artType, uri: `bench://chain${c}/fan${s}/${k}` },
            event: { type: Event_Type.OUTPUT },
          })),
        ],
      });
      nodes += 1 + FANOUT_WIDTH;
    }
    return chainArtifacts[Math.floor(CHAIN_STEPS / 2)];
  };
  let next = 0;
  let probeId = rootId;
  await Promise.all(
    Array.from({ length: POPULATE_CONCURRENCY }, async () => {
      for (let c = next++; c < CHAINS; c = next++) {
        const mid = await chain(c);
        if (c === 0) probeId = mid;
      }
    }),
  );
  return { rootId, probeId, nodes };
}

interface ReadResult {
  ops: number;
  perS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  failures: number;
}

/** READERS loops, each one GetArtifactsByID in flight at a time, for `seconds`. */
async function measureReads(client: MetadataStoreServiceClient, id: bigint, seconds: number): Promise<ReadResult> {
  const lat: number[] = [];
  let failures = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: READERS }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        const r = await callRpc(client, 'getArtifactsById', { artifactIds: [id] });
        if (r.ok) lat.push(performance.now() - s);
        else failures++;
      }
    }),
  );
  const wallS = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { ops: lat.length, perS: lat.length / wallS, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99), maxMs: lat[lat.length - 1], failures };
}

function lineageRequest() {
  return { lineageSubgraphQueryOptions: { startingArtifacts: { filterQuery: `uri = 'bench://root'` }, maxNumHops: 100n } };
}

async function main(): Promise<void> {
  const started = Date.now();
  const treeDir = path.resolve(process.argv[2] ?? path.resolve(__dirname, '..'));
  const mainTs = path.join(treeDir, 'src/main.ts');
  if (!fs.existsSync(mainTs)) throw new Error(`no src/main.ts in ${treeDir}`);
  let commit = '?';
  try {
    commit = execFileSync('git', ['-C', treeDir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    /* not a git tree */
  }
  const knowsWorkers = /^\s*workers\s*:/m.test(fs.readFileSync(path.join(treeDir, 'src/config/flags.ts'), 'utf8'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-sqlbench-'));
  const port = await freePort();
  const args = ['--import', 'tsx', mainTs, ...(knowsWorkers ? ['--workers=1'] : []), `--grpc_port=${port}`, '--metrics_port=0', `--sqlite_path=${path.join(dir, 'bench.sqlite')}`];
  const child = spawn(process.execPath, args, { cwd: treeDir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const killer = setTimeout(() => {
    console.error(`hard limit of ${HARD_LIMIT_MS / 1000} s reached; stopping`);
    child.kill('SIGKILL');
    process.exit(2);
  }, HARD_LIMIT_MS);
  killer.unref();

  const reader = new MetadataStoreServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const heavy = new MetadataStoreServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': -1,
  });
  try {
    console.error(`tree ${treeDir} (${commit}), ${knowsWorkers ? '--workers=1' : 'no --workers flag'}, port ${port}`);
    for (let ready = false; !ready; ) {
      if (child.exitCode !== null) throw new Error(`server exited:\n${stderr}`);
      if (Date.now() - started > 60_000) throw new Error(`server did not answer within 60 s:\n${stderr}`);
      ready = (await callRpc(reader, 'getArtifactTypes', {}, undefined, 1000)).ok;
      if (!ready) await new Promise((r) => setTimeout(r, 200));
    }
    const p0 = performance.now();
    const pop = await populate(reader);
    console.error(`populated ${pop.nodes} nodes in ${((performance.now() - p0) / 1000).toFixed(1)} s`);

    // Warm-up, and the heavy query's own size and time on an idle server.
    await measureReads(reader, pop.probeId, 1);
    const h0 = performance.now();
    const sub = await must<{ lineageSubgraph: { artifacts: unknown[]; executions: unknown[]; events: unknown[] } }>(heavy, 'getLineageSubgraph', lineageRequest(), 60_000);
    const heavyIdleMs = performance.now() - h0;
    const g = sub.lineageSubgraph;
    console.error(`heavy query: ${g.artifacts.length} artifacts, ${g.executions.length} executions, ${g.events.length} events, ${heavyIdleMs.toFixed(0)} ms alone`);

    const alone = await measureReads(reader, pop.probeId, READ_S);

    let stop = false;
    const heavyLat: number[] = [];
    let heavyFailures = 0;
    const heavyLoop = (async () => {
      while (!stop) {
        const s = performance.now();
        const r = await callRpc(heavy, 'getLineageSubgraph', lineageRequest(), undefined, 60_000);
        if (r.ok) heavyLat.push(performance.now() - s);
        else heavyFailures++;
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const beside = await measureReads(reader, pop.probeId, READ_S);
    stop = true;
    await heavyLoop;
    heavyLat.sort((a, b) => a - b);

    const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
    const rows: [string, ReadResult][] = [
      ['alone', alone],
      ['beside heavy', beside],
    ];
    console.log(`\nserver tree: ${treeDir} (${commit}); ${pop.nodes} nodes; ${READERS} readers in flight, ${READ_S} s each`);
    console.log(`heavy GetLineageSubgraph (max_num_hops 100, ${g.artifacts.length + g.executions.length} nodes): ${f(heavyIdleMs, 0)} ms alone, ${heavyLat.length} done beside the reads (p50 ${f(percentile(heavyLat, 50), 0)} ms), ${heavyFailures} failed\n`);
    console.log('| GetArtifactsByID | reads/s | p50 ms | p99 ms | max ms | failures |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [name, r] of rows) console.log(`| ${name} | ${f(r.perS, 0)} | ${f(r.p50Ms, 2)} | ${f(r.p99Ms, 2)} | ${f(r.maxMs, 1)} | ${r.failures} |`);
    console.log(`| ratio beside/alone | ${f(beside.perS / alone.perS, 2)}× | ${f(beside.p50Ms / alone.p50Ms, 1)}× | ${f(beside.p99Ms / alone.p99Ms, 1)}× | | |`);
    console.error(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    reader.close();
    heavy.close();
    child.kill('SIGTERM');
    const forced = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(forced);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
