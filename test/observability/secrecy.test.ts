import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import mysql from 'mysql2/promise';
import { describe, expect, inject, it } from 'vitest';
import { MetadataStoreServiceClient } from '../../src/generated/ml_metadata/proto/metadata_store_service';
import type { ServerConnection } from '../support/db_servers';
import { parsePrometheusText } from './prometheus_text';

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

/** The real server process, its output kept, and every /metrics body it served. */
class ServerProcess {
  stdout = '';
  stderr = '';
  readonly scrapes: string[] = [];
  readonly exited: Promise<number | null>;
  private running = true;
  private readonly child;

  constructor(
    args: string[],
    readonly metricsPort: number,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        this.running = false;
        resolve(code);
      }),
    );
  }

  /** One scrape; undefined while nothing listens on the metrics port. */
  async scrape(): Promise<string | undefined> {
    try {
      const body = await (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
      this.scrapes.push(body);
      return body;
    } catch {
      return undefined;
    }
  }

  /** Scrapes every 200 ms until the process exits, /metrics answers (if `untilServing`), or time is up. */
  async watch(ms: number, untilServing: boolean): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.running && Date.now() < deadline) {
      if ((await this.scrape()) !== undefined && untilServing) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(killer);
    }
  }

  everything(): string {
    return [this.stdout, this.stderr, ...this.scrapes].join('\n');
  }
}

function mysqlFlags(host: string, port: number, user: string, password: string, database: string): string[] {
  return [
    `--mysql_config_host=${host}`,
    `--mysql_config_port=${port}`,
    `--mysql_config_database=${database}`,
    `--mysql_config_user=${user}`,
    `--mysql_config_password=${password}`,
  ];
}

describe.skipIf(!fs.existsSync(MAIN))('the real server never reveals the database password', () => {
  it('in its output or /metrics while failing to reach MySQL at 127.0.0.1:1', async () => {
    const [grpcPort, metricsPort] = [await freePort(), await freePort()];
    const server = new ServerProcess(
      [`--grpc_port=${grpcPort}`, `--metrics_port=${metricsPort}`, ...mysqlFlags('127.0.0.1', 1, 'mlmd', SECRET, 'mlmd_secrecy')],
      metricsPort,
    );
    await server.watch(15_000, false);
    await server.stop();
    // The run must have been about that database, or the absence of the secret proves nothing.
    expect(server.stdout + server.stderr).toMatch(/127\.0\.0\.1/);
    expect(server.everything()).not.toContain(SECRET);
  }, 60_000);

  const mariadbInfo = inject('testBackends').mariadb;

  describe.skipIf(!mariadbInfo.available)('against a live MariaDB', () => {
    if (!mariadbInfo.available) return;
    const mariadb: ServerConnection = mariadbInfo;
    /** A new user with this password; returns its name. */
    async function createUser(password: string): Promise<string> {
      const user = `mlmd_secrecy_${crypto.randomBytes(3).toString('hex')}`;
      const admin = await mysql.createConnection({
        host: mariadb.host,
        port: mariadb.port,
        user: mariadb.user,
        password: mariadb.password,
      });
      try {
        await admin.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [user, password]);
        await admin.query(`GRANT ALL PRIVILEGES ON *.* TO ?@'%'`, [user]);
      } finally {
        await admin.end();
      }
      return user;
    }

    it('while serving RPCs with that password, in logs and in /metrics', async () => {
      const user = await createUser(SECRET);
      const [grpcPort, metricsPort] = [await freePort(), await freePort()];
      const database = `mlmd_secrecy_${crypto.randomBytes(3).toString('hex')}`;
      const server = new ServerProcess(
        [
          `--grpc_port=${grpcPort}`,
          `--metrics_port=${metricsPort}`,
          ...mysqlFlags(mariadb.host, mariadb.port, user, SECRET, database),
        ],
        metricsPort,
      );
      try {
        await server.watch(60_000, true);
        const client = new MetadataStoreServiceClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
        // /metrics (the primary) can answer before a worker listens on the gRPC port; a call
        // made then fails in the client and reaches no server, so wait for the port first.
        await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 60_000, (e) => (e ? reject(e) : resolve())));
        // Whatever the answer (the store may not implement it yet), the call is logged and counted.
        await new Promise<void>((resolve) => client.getArtifactTypes({}, () => resolve()));
        client.close();
        const body = await server.scrape();
        expect(body).toBeDefined();
        const handled = parsePrometheusText(body!).filter(
          (s) => s.name === 'grpc_server_handled_total' && s.labels.grpc_method === 'GetArtifactTypes' && s.value > 0,
        );
        expect(handled).toHaveLength(1);
      } finally {
        await server.stop();
      }
      expect(server.stdout).toContain('GetArtifactTypes');
      expect(server.stdout).toContain(database);
      expect(server.everything()).not.toContain(SECRET);
    }, 120_000);

    it('when MariaDB refuses that password', async () => {
      const user = await createUser('another-password');
      const [grpcPort, metricsPort] = [await freePort(), await freePort()];
      const server = new ServerProcess(
        [`--grpc_port=${grpcPort}`, `--metrics_port=${metricsPort}`, ...mysqlFlags(mariadb.host, mariadb.port, user, SECRET, 'mlmd_denied')],
        metricsPort,
      );
      await server.watch(30_000, false);
      await server.stop();
      expect(await server.exited).not.toBe(0);
      expect(server.stdout + server.stderr).toMatch(/Access denied/);
      expect(server.everything()).not.toContain(SECRET);
    }, 60_000);
  });
});
