import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'src/main.ts');
const SECRET = 's3cr3t-Zebra-991';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

interface RunResult {
  stdout: string;
  stderr: string;
  scrapes: string[];
  exitCode: number | null;
}

/**
 * Runs the real server process for at most `lifetimeMs`, scraping /metrics every 200 ms while
 * it lives, then stops it (SIGTERM, then SIGKILL) and returns everything it said.
 */
async function runServer(args: string[], metricsPort: number, lifetimeMs: number): Promise<RunResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const scrapes: string[] = [];
  const deadline = Date.now() + lifetimeMs;
  let running = true;
  void exited.then(() => (running = false));
  while (running && Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      scrapes.push(await res.text());
    } catch {
      // not listening (yet, or at all)
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (running) {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  }
  return { stdout, stderr, scrapes, exitCode: await exited };
}

describe.skipIf(!fs.existsSync(MAIN))('the real server never reveals the database password', () => {
  it('in its output or /metrics while failing to reach MySQL at 127.0.0.1:1', async () => {
    const [grpcPort, metricsPort] = [await freePort(), await freePort()];
    const result = await runServer(
      [
        `--grpc_port=${grpcPort}`,
        `--metrics_port=${metricsPort}`,
        '--mysql_config_host=127.0.0.1',
        '--mysql_config_port=1',
        '--mysql_config_database=mlmd_secrecy',
        '--mysql_config_user=mlmd',
        `--mysql_config_password=${SECRET}`,
      ],
      metricsPort,
      15_000,
    );
    const everything = [result.stdout, result.stderr, ...result.scrapes].join('\n');
    // The run must have been about that database, or the absence of the secret proves nothing.
    expect(result.stdout + result.stderr).toMatch(/127\.0\.0\.1/);
    expect(everything).not.toContain(SECRET);
  }, 60_000);
});
