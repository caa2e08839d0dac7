import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { DatabaseConfig } from '../../src/database/config';

const MAIN = ['--import', 'tsx', path.join(__dirname, '../../src/main.ts')];
const ROOT = path.join(__dirname, '../..');

/** Our server as a process (the real entry point), its output kept for assertions. */
export interface ServerProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code and when (Date.now()) the process exited. */
  readonly exited: Promise<{ code: number | null; at: number }>;
}

export function startServerProcess(args: string[], env: NodeJS.ProcessEnv = {}): ServerProcess {
  const child = spawn(process.execPath, [...MAIN, '--metrics_port=0', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, at: Date.now() })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The flags (and password variables) that point our server at `config`. */
export function databaseFlags(config: DatabaseConfig): { args: string[]; env: NodeJS.ProcessEnv } {
  if (config.kind === 'mysql') {
    return {
      args: [
        `--mysql_config_host=${config.host}`,
        `--mysql_config_port=${config.port}`,
        `--mysql_config_database=${config.database}`,
        `--mysql_config_user=${config.user}`,
      ],
      env: { MLMD_MYSQL_PASSWORD: config.password },
    };
  }
  if (config.kind === 'postgres') {
    return {
      args: [
        '--metadata_source_config_type=postgresql',
        `--postgres_config_host=${config.host}`,
        `--postgres_config_port=${config.port}`,
        `--postgres_config_user=${config.user}`,
        `--postgres_config_dbname=${config.dbname}`,
      ],
      env: { MLMD_POSTGRES_PASSWORD: config.password },
    };
  }
  return { args: [`--sqlite_path=${config.filename}`], env: {} };
}

/** grpc.health.v1 Check for the MLMD service; rejects when the port does not answer. */
export function healthStatus(port: number): Promise<string> {
  const healthProto = path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');
  const pkg = loadPackageDefinition(loadSync(healthProto, { keepCase: true, enums: String })) as any;
  const client = new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, credentials.createInsecure());
  return new Promise<string>((resolve, reject) =>
    client.Check({ service: 'ml_metadata.MetadataStoreService' }, { deadline: Date.now() + 1_000 }, (e: Error | null, r: { status: string }) => {
      client.close();
      if (e) reject(e);
      else resolve(r.status);
    }),
  );
}
