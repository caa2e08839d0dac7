/**
 * `npm run bench`: our server vs upstream's C++ MetadataStore vs the database's own limit, in
 * one run, on the same machine and the same database servers (a throwaway MariaDB started
 * here, and SQLite files). See bench/README.md for what each subject and column means.
 *
 * Environment: BENCH_BACKENDS (sqlite,mariadb), BENCH_CLIENTS (8), BENCH_SCALE (1: operation
 * counts multiplier), BENCH_TIME_CAP_S (5: per cell and client), BENCH_ONLY (workload name
 * fragments, comma-separated), BENCH_PYTHON (.venv/bin/python).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serverEnvironment, startDbServers, type DbServers } from '../test/support/db_servers';
import { runDbLimit, type Fixture } from './db_limit';
import type { ResultRow } from './stats';

const REPO = path.resolve(__dirname, '..');
const PYTHON = process.env.BENCH_PYTHON ?? path.join(REPO, '.venv', 'bin', 'python');
const HARNESS = path.join(REPO, 'bench', 'mlmd_compare.py');
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'sqlite,mariadb').split(',').filter(Boolean) as Array<'sqlite' | 'mariadb'>;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const TIME_CAP_S = Number(process.env.BENCH_TIME_CAP_S ?? 5);
const ONLY = process.env.BENCH_ONLY ?? '';

function python(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [HARNESS, ...args], { cwd: REPO, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(HARNESS)} ${args[0]} exited ${code}`))));
  });
}

const fmt = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '-');
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '-';

function printTable(rows: ResultRow[]): void {
  const keyOf = (r: ResultRow) => `${r.backend}|${r.workload}|${r.clients}`;
  const groups = new Map<string, Partial<Record<ResultRow['subject'], ResultRow>>>();
  for (const r of rows) groups.set(keyOf(r), { ...groups.get(keyOf(r)), [r.subject]: r });
  const header = ['backend', 'workload', 'clients', 'subject', 'ops', 'mean µs', 'p50 µs', 'p95 µs', 'p99 µs', 'ops/s', 'ours/upstream', 'ours/db-limit'];
  const lines: string[][] = [header];
  for (const g of groups.values()) {
    const ours = g.ours;
    for (const subject of ['ours', 'upstream', 'db-limit'] as const) {
      const r = g[subject];
      if (!r) continue;
      const note = r.failures ? ` (${r.failures} failed)` : r.retries ? ` (${r.retries} retries)` : '';
      lines.push([
        r.backend,
        r.workload,
        String(r.clients),
        subject + note,
        String(r.ops),
        fmt(r.mean_us),
        fmt(r.p50_us),
        fmt(r.p95_us),
        fmt(r.p99_us),
        fmt(r.ops_per_s),
        // Latency ratio on the `ours` line: below 1× we are faster. Throughput ratio beside it.
        subject === 'ours' ? `${ratio(ours?.mean_us, g.upstream?.mean_us)} lat, ${ratio(ours?.ops_per_s, g.upstream?.ops_per_s)} thr` : '',
        subject === 'ours' ? `${ratio(ours?.mean_us, g['db-limit']?.mean_us)} lat, ${ratio(ours?.ops_per_s, g['db-limit']?.ops_per_s)} thr` : '',
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  const numeric = new Set([2, 4, 5, 6, 7, 8, 9]);
  for (const [n, l] of lines.entries()) {
    console.log(l.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd());
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

async function main(): Promise<number> {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-bench-'));
  const started = new Date();
  console.log(
    `mlmd bench ${started.toISOString()}: node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), ` +
      `load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; backends ${BACKENDS.join(',')}, clients 1 and ${CLIENTS}, ` +
      `scale ${SCALE}, time cap ${TIME_CAP_S} s per cell`,
  );
  let servers: DbServers | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (BACKENDS.includes('mariadb')) {
    servers = await startDbServers({ wanted: ['mariadb'], requireBinaries: true });
    Object.assign(env, serverEnvironment(servers.servers));
    if (!servers.servers.mariadb.available) throw new Error(`MariaDB unavailable: ${servers.servers.mariadb.reason}`);
  }
  const rows: ResultRow[] = [];
  try {
    for (const backend of BACKENDS) {
      const onlyArgs = ONLY ? ['--only', ONLY] : [];
      const resultsFile = path.join(workdir, `${backend}.json`);
      console.error(`[${backend}] ours and upstream (python harness)`);
      await python(['run', '--backend', backend, '--clients', String(CLIENTS), '--out', resultsFile, ...onlyArgs], {
        ...env,
        BENCH_SCALE: String(SCALE),
        BENCH_TIME_CAP_S: String(TIME_CAP_S),
      });
      rows.push(...(JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as ResultRow[]));
      console.error(`[${backend}] db-limit (raw SQL)`);
      const fixtureFile = path.join(workdir, `${backend}.fixture.json`);
      await python(['prepare', '--backend', backend, '--out', fixtureFile], env);
      const fixture = JSON.parse(fs.readFileSync(fixtureFile, 'utf8')) as Fixture;
      rows.push(
        ...(await runDbLimit(fixture, {
          clients: CLIENTS,
          scale: SCALE,
          timeCapS: TIME_CAP_S,
          only: ONLY ? ONLY.split(',') : [],
          log: (line) => console.error(line),
        })),
      );
    }
  } finally {
    await servers?.stop();
  }
  const order = (r: ResultRow) => `${BACKENDS.indexOf(r.backend as 'sqlite')}`;
  rows.sort((a, b) => order(a).localeCompare(order(b)));
  console.log();
  printTable(rows);
  const out = path.join(workdir, 'results.json');
  fs.writeFileSync(out, JSON.stringify(rows, null, 1));
  console.log(
    `\nfinished in ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s, load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; raw results: ${out}`,
  );
  return rows.some((r) => r.ops === 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error((e as Error).stack ?? e);
    process.exit(1);
  },
);
