/**
 * `npm run bench:scale`: the Kubeflow run page's reads, the driver's parent_dag_id lookup, a
 * paged artifact list, filters and a run's lineage, on a Kubeflow-shaped database of N and
 * 10×N runs; ours (gRPC) vs upstream's C++ library with a held connection and with a store
 * per call, in one run on the same database. See bench/README.md.
 *
 * Environment: BENCH_BACKENDS (sqlite,mariadb), BENCH_SCALE_RUNS (N, 2000), BENCH_SCALE_FACTOR
 * (10), BENCH_SCALE_TASKS (10), BENCH_SCALE_OPS (60 per query and subject), BENCH_TIME_CAP_S (4
 * per query), BENCH_ONLY (query name fragments), BENCH_PYTHON (.venv/bin/python).
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { MLMD_MIGRATIONS } from '../../migrations';
import { openDatabase, type DatabaseConfig } from '../../src/database';
import { startDbServers, type DbServers, type ServerConnection } from '../../test/support/db_servers';
import { populate, type PopulationShape } from './kubeflow_population';
import { countStatements, type Marker, type StatementCounts } from './statement_log';

const REPO = path.resolve(__dirname, '../..');
const PYTHON = process.env.BENCH_PYTHON ?? path.join(REPO, '.venv', 'bin', 'python');
const HARNESS = path.join(REPO, 'bench', 'scale_compare.py');
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'sqlite,mariadb').split(',').filter(Boolean) as Array<'sqlite' | 'mariadb'>;
const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 2000);
const FACTOR = Number(process.env.BENCH_SCALE_FACTOR ?? 10);
const TASKS = Number(process.env.BENCH_SCALE_TASKS ?? 10);
const OPS = Number(process.env.BENCH_SCALE_OPS ?? 60);
const TIME_CAP_S = Number(process.env.BENCH_TIME_CAP_S ?? 4);
const ONLY = process.env.BENCH_ONLY ?? '';
/** Enough for the 10×N database to stay in memory, so the figures measure query plans, not disk. */
const MARIADB_BUFFER_POOL = 1024 * 1024 * 1024;

interface Timing {
  ops: number;
  mean_us: number;
  p50_us: number;
  p95_us: number;
}
interface ResultRow {
  backend: string;
  runs: number;
  query: string;
  agree: boolean;
  answer_sizes: number[];
  ours: Timing;
  held: Timing;
  'per-call': Timing;
}

function python(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [HARNESS, ...args], { cwd: REPO, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`scale_compare.py ${args[0]} exited ${code}`))));
  });
}

interface Location {
  config: DatabaseConfig;
  /** What the Python harness gets (mlmd_compare.upstream_config's shape). */
  harness: Record<string, string | number>;
}

function locationFor(backend: 'sqlite' | 'mariadb', runs: number, workdir: string, mariadb?: ServerConnection): Location {
  if (backend === 'sqlite') {
    const file = path.join(workdir, `scale-${runs}.sqlite`);
    return { config: { kind: 'sqlite', filename: file }, harness: { path: file } };
  }
  const database = `bench_scale_${runs}_${crypto.randomBytes(4).toString('hex')}`;
  const m = mariadb!;
  return {
    config: { kind: 'mysql', host: m.host, port: m.port, user: m.user, password: m.password, database },
    harness: { host: m.host, port: m.port, user: m.user, password: m.password, database },
  };
}

async function build(location: Location, shape: PopulationShape): Promise<number> {
  const started = Date.now();
  const db = await openDatabase(location.config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 2 });
  try {
    await populate(db, shape, (line) => console.error(line));
  } finally {
    await db.close();
  }
  return (Date.now() - started) / 1000;
}

const fmtUs = (us: number) => (us >= 10_000 ? `${(us / 1000).toFixed(0)} ms` : us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(0)} µs`);
const fmtRatio = (x: number) => `${x.toFixed(2)}×`;

function printTable(header: string[], lines: string[][]): void {
  const widths = header.map((_, i) => Math.max(header[i].length, ...lines.map((l) => l[i].length)));
  const row = (l: string[]) => l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(row(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(row(l));
}

function printResults(backend: string, rows: ResultRow[], small: number, large: number): void {
  const at = (runs: number, query: string) => rows.find((r) => r.runs === runs && r.query === query);
  const queries = [...new Set(rows.map((r) => r.query))];
  console.log(`\n${backend}: mean latency at N = ${small} runs and 10×N = ${large} runs (targets: ours/held ≤ 1.00×, ours/per-call ≤ 0.50× at N; ours 10×N/N ≤ 1.50×)`);
  const lines: string[][] = [];
  for (const q of queries) {
    const n = at(small, q);
    const l = at(large, q);
    if (!n) continue;
    const vsHeld = n.ours.mean_us / n.held.mean_us;
    const vsPerCall = n.ours.mean_us / n['per-call'].mean_us;
    const growth = l ? l.ours.mean_us / n.ours.mean_us : NaN;
    const upstreamGrowth = l ? l.held.mean_us / n.held.mean_us : NaN;
    const met = vsHeld <= 1 && vsPerCall <= 0.5 && (!l || growth <= 1.5);
    lines.push([
      q,
      fmtUs(n.ours.mean_us),
      fmtUs(n.held.mean_us),
      fmtUs(n['per-call'].mean_us),
      fmtRatio(vsHeld),
      fmtRatio(vsPerCall),
      l ? fmtUs(l.ours.mean_us) : '-',
      l ? fmtUs(l.held.mean_us) : '-',
      l ? fmtRatio(growth) : '-',
      l ? fmtRatio(upstreamGrowth) : '-',
      n.agree && (!l || l.agree) ? 'yes' : 'NO',
      met ? 'met' : 'NOT met',
    ]);
  }
  printTable(
    ['query', 'ours N', 'held N', 'per-call N', 'ours/held', 'ours/per-call', 'ours 10N', 'held 10N', 'ours 10N/N', 'held 10N/N', 'same answers', 'targets'],
    lines,
  );
}

function printStatements(counts: StatementCounts[]): void {
  console.log('\nmariadb: statements per RPC at N (general_log; per-call also opens and closes a connection)');
  const queries = [...new Set(counts.map((c) => c.query))];
  const lines = queries.map((q) => {
    const of = (s: string) => counts.find((c) => c.query === q && c.subject === s);
    const cell = (s: string) => {
      const c = of(s);
      return c ? `${c.statements}${c.connects ? ` (+${c.connects} connect)` : ''}` : '-';
    };
    return [q, cell('ours'), cell('held'), cell('per-call')];
  });
  printTable(['query', 'ours', 'upstream held', 'upstream per-call'], lines);
}

async function withAdmin<T>(m: ServerConnection, work: (knex: Knex) => Promise<T>): Promise<T> {
  const knex = knexFactory({ client: 'mysql2', connection: { host: m.host, port: m.port, user: m.user, password: m.password }, pool: { min: 0, max: 1 } });
  try {
    return await work(knex);
  } finally {
    await knex.destroy();
  }
}

async function main(): Promise<number> {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-bench-scale-'));
  const started = Date.now();
  console.log(
    `mlmd bench:scale ${new Date().toISOString()}: node ${process.version}, ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} (shared machine: other work runs beside this); backends ${BACKENDS.join(',')}, N = ${RUNS} runs × ${TASKS} tasks, ×${FACTOR}`,
  );
  let servers: DbServers | undefined;
  let mariadb: ServerConnection | undefined;
  if (BACKENDS.includes('mariadb')) {
    servers = await startDbServers({ wanted: ['mariadb'], requireBinaries: true });
    const info = servers.servers.mariadb;
    if (!info.available) throw new Error(`MariaDB unavailable: ${info.reason}`);
    mariadb = info;
    await withAdmin(mariadb, (k) => k.raw(`SET GLOBAL innodb_buffer_pool_size = ${MARIADB_BUFFER_POOL}`));
  }
  const env = { ...process.env };
  const all: ResultRow[] = [];
  const statementCounts: StatementCounts[] = [];
  try {
    for (const backend of BACKENDS) {
      for (const runs of [RUNS, RUNS * FACTOR]) {
        const shape: PopulationShape = { runs, tasks: TASKS, pipelines: 20 };
        const location = locationFor(backend, runs, workdir, mariadb);
        console.error(`[${backend} ${runs} runs] populating`);
        const seconds = await build(location, shape);
        console.error(`[${backend} ${runs} runs] populated in ${seconds.toFixed(0)} s; measuring`);
        const out = path.join(workdir, `${backend}-${runs}.json`);
        const common = ['--backend', backend, '--location', JSON.stringify(location.harness), '--shape', JSON.stringify(shape)];
        await python(['measure', ...common, '--out', out, '--ops', String(OPS), '--time-cap-s', String(TIME_CAP_S), ...(ONLY ? ['--only', ONLY] : [])], env);
        all.push(...(JSON.parse(fs.readFileSync(out, 'utf8')) as ResultRow[]));
        if (backend === 'mariadb' && runs === RUNS && mariadb) {
          const marksFile = path.join(workdir, 'markers.json');
          const m = mariadb;
          await withAdmin(m, async (k) => {
            await k.raw("SET GLOBAL log_output = 'TABLE'");
            await k.raw('TRUNCATE TABLE mysql.general_log');
            await k.raw('SET GLOBAL general_log = 1');
          });
          try {
            await python(['statements', ...common, '--out', marksFile], env);
          } finally {
            const log = await withAdmin(m, async (k) => {
              await k.raw('SET GLOBAL general_log = 0');
              const [rows] = (await k.raw('SELECT thread_id, command_type, CONVERT(argument USING utf8mb4) AS argument FROM mysql.general_log')) as [
                { thread_id: number; command_type: string; argument: string }[],
              ];
              await k.raw('TRUNCATE TABLE mysql.general_log');
              return rows;
            });
            if (fs.existsSync(marksFile)) statementCounts.push(...countStatements(log, JSON.parse(fs.readFileSync(marksFile, 'utf8')) as Marker[]));
          }
        }
        if (backend === 'sqlite') fs.rmSync(location.harness.path as string, { force: true });
        else await withAdmin(mariadb!, (k) => k.raw('DROP DATABASE ??', [location.harness.database as string]));
      }
      printResults(backend, all.filter((r) => r.backend === backend), RUNS, RUNS * FACTOR);
      if (backend === 'mariadb' && statementCounts.length > 0) printStatements(statementCounts);
    }
  } finally {
    await servers?.stop();
  }
  const out = path.join(workdir, 'results.json');
  fs.writeFileSync(out, JSON.stringify({ results: all, statements: statementCounts }, null, 1));
  console.log(
    `\nfinished in ${((Date.now() - started) / 1000).toFixed(0)} s, load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; raw results: ${out}`,
  );
  return all.some((r) => !r.agree) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error((e as Error).stack ?? e);
    process.exit(1);
  },
);
