import { status as Status } from '@grpc/grpc-js';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { callRpc, mlmdClient } from '../transport/grpc_test_client';

/** The real entry point, run by node with tsx (what `npm start` runs after compiling). */
const MAIN = ['--import', 'tsx', path.join(__dirname, '../../src/main.ts')];
const ROOT = path.join(__dirname, '../..');

function runToExit(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [...MAIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('the server process', () => {
  it.each([
    [['--grpc_port=abc'], /--grpc_port/],
    [['--grpc_port=-1'], /--grpc_port/],
    [['--mysql_config_host=db'], /--mysql_config_database, --mysql_config_port/],
    [['--enable_database_upgrade', '--downgrade_db_schema_version=3'], /cannot be used together/],
    [['--metadata_source_config_type=oracle'], /oracle/],
    [['--metadata_store_server_config_file=/nonexistent.pbtxt'], /nonexistent.pbtxt: no such file/],
    [['--tenancy=strict'], /strict/],
    [['--tenancy=enforce', '--tenancy_config_file=/nonexistent.yaml'], /--tenancy_config_file=\/nonexistent.yaml: no such file/],
  ])('exits 2 with one stderr line for %j', (args, message) => {
    const r = runToExit(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mlmd-server: [^\n]+\n$/);
    expect(r.stderr).toMatch(message);
  });

  it('exits 2 with one stderr line when tenancy needs a Kubernetes client it cannot set up', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-process-tenancy-'));
    try {
      const config = path.join(dir, 'tenancy.yaml');
      fs.writeFileSync(config, `kubeconfig: ${path.join(dir, 'missing-kubeconfig')}\nidentity:\n  token_review: {}\n`);
      const r = runToExit(['--tenancy=enforce', `--tenancy_config_file=${config}`, '--workers=1', '--metrics_port=0', '--sqlite_path=' + path.join(dir, 'db.sqlite')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^mlmd-server: [^\n]*cannot set up the Kubernetes client[^\n]*\n$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints --help on stdout and exits 0', () => {
    const r = runToExit(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--mysql_config_host');
    expect(r.stdout).toContain('MLMD_MYSQL_PASSWORD');
  });

  it('names host:port in one line when the database cannot be reached', async () => {
    const port = await freePort();
    const r = runToExit([`--mysql_config_host=127.0.0.1`, `--mysql_config_port=${port}`, '--mysql_config_database=m', '--metrics_port=0', '--db_startup_timeout_seconds=0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mlmd-server: [^\n]+\n$/);
    expect(r.stderr).toContain(`127.0.0.1:${port}`);
  });

  it('serves on the SQLite default, rejects the reserved GetArtifactsByURI field, and stops cleanly on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-proc-'));
    const port = await freePort();
    const child = spawn(process.execPath, [...MAIN, `--grpc_port=${port}`, `--sqlite_path=${dir}/new/dir/m.sqlite`, '--metrics_port=0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await expect.poll(() => stdout, { timeout: 30_000, interval: 100 }).toContain(`on port ${port}`);
    expect(fs.existsSync(`${dir}/new/dir/m.sqlite`)).toBe(true);

    const client = mlmdClient(port);
    // Field 1 (the removed singular `uri`), as an old client would send it: tag 10, length 1, "x".
    const reserved = await callRpc(client, 'getArtifactsByUri', { _unknownFields: { 10: [Uint8Array.of(1, 0x78)] } });
    expect(reserved).toMatchObject({ ok: false, code: Status.INVALID_ARGUMENT });
    expect((reserved as { details: string }).details).toContain('The request contains deprecated field');
    expect(await callRpc(client, 'getArtifactsByUri', { uris: ['x'] })).toMatchObject({ ok: true });
    client.close();

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('"msg":"stopped"');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
