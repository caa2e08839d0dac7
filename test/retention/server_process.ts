import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { DatabaseConfig } from '../../src/database/config';
import { freePort } from '../support/db_servers';

const ROOT = path.resolve(__dirname, '../..');
const TSX = ['--import', 'tsx'];

/** Our server's flags for a database config (as an operator would pass them). */
export function databaseFlags(config: DatabaseConfig): string[] {
  switch (config.kind) {
    case 'sqlite':
      return [`--sqlite_path=${config.filename}`];
    case 'mysql':
      return [
        `--mysql_config_host=${config.host}`,
        `--mysql_config_port=${config.port}`,
        `--mysql_config_database=${config.database}`,
        `--mysql_config_user=${config.user}`,
        `--mysql_config_password=${config.password ?? ''}`,
      ];
    case 'postgres':
      return [
        '--metadata_source_config_type=postgresql',
        `--postgres_config_host=${config.host}`,
        `--postgres_config_port=${config.port}`,
        `--postgres_config_dbname=${config.dbname}`,
        `--postgres_config_user=${config.user}`,
        `--postgres_config_password=${config.password ?? ''}`,
      ];
  }
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  stdout(): string;
  exited: Promise<number | null>;
}

/** Starts src/main.ts on a free port and resolves once it listens. */
export async function startServerProcess(config: DatabaseConfig, extra: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...TSX, path.join(ROOT, 'src/main.ts'), `--grpc_port=${port}`, '--metrics_port=0', ...databaseFlags(config), ...extra], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!out.includes(`on port ${port}`)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, port, stdout: () => out, exited };
}

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** Runs the mlmd-ts command line (src/cli/mlmd_ts.ts) as its own process. */
export function runCliProcess(args: string[]): CliRun {
  const child = spawn(process.execPath, [...TSX, path.join(ROOT, 'src/cli/mlmd_ts.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}
