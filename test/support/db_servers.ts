import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';

/**
 * Throwaway MariaDB and PostgreSQL servers for one test run: each lives in its own directory
 * under a temp root, listens on 127.0.0.1 on a free port, and is gone (process and files)
 * when the run ends.
 */

export type ServerBackend = 'mariadb' | 'postgres';

/** What tests need to reach a running server; plain data so vitest can `provide` it. */
export interface ServerConnection {
  available: true;
  host: string;
  port: number;
  user: string;
  password: string;
  /** The server's unix socket (MariaDB: the socket file; PostgreSQL: its directory). */
  socket: string;
}

export interface ServerUnavailable {
  available: false;
  reason: string;
}

export type ServerInfo = ServerConnection | ServerUnavailable;

export interface RunningServer {
  readonly info: ServerConnection;
  /** Stops the server and waits until its process has exited. */
  stop(): Promise<void>;
  /**
   * Kills the server abruptly (no clean shutdown, connections reset) and waits for
   * its exit; `restart` brings it back on the same data and port. For fault tests on a
   * dedicated server, never on the run's shared one.
   */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

/** Raised when a server binary is not installed; carries the Debian package that provides it. */
export class MissingServerBinary extends Error {
  constructor(
    readonly backend: ServerBackend,
    readonly aptPackage: string,
    what: string,
  ) {
    super(`${what} not found; install it with: apt-get install -y ${aptPackage}`);
  }
}

const TEST_USER = 'mlmd_test';
const TEST_PASSWORD = 'mlmd-test-password';
const READY_TIMEOUT_MS = 60_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function findExecutable(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** The newest /usr/lib/postgresql/<major>/bin that has both initdb and postgres. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((d) => /^\d+(\.\d+)?$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const major of majors) {
    const bin = path.join(root, major, 'bin');
    if (fs.existsSync(path.join(bin, 'initdb')) && fs.existsSync(path.join(bin, 'postgres'))) return bin;
  }
  const initdb = findExecutable('initdb');
  return initdb && findExecutable('postgres') ? path.dirname(initdb) : undefined;
}

/**
 * PostgreSQL refuses to run as root. When we are root, its processes run as `nobody` (present on
 * every Debian install), through setpriv so no login shell or PAM is involved.
 */
interface RunAs {
  /** setpriv options that switch to the unprivileged user; empty when we are not root. */
  credentials: string[];
  uid?: number;
  gid?: number;
}

function unprivilegedRunner(): RunAs {
  if (process.getuid?.() !== 0) return { credentials: [] };
  const id = (flag: string) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error('running as root and there is no `nobody` user to run PostgreSQL as');
  }
  return { credentials: [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'], uid, gid };
}

/** Every process started here that may still run; killed on the way out, whatever the phase. */
const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
    try {
      // Set-up tools run detached in their own process group: take their helpers down too.
      process.kill(child.spawnargs.includes('--pdeathsig') ? child.pid : -child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function run(command: string[], logFile: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(logFile, 'a');
    const child = track(spawn(command[0], command.slice(1), { stdio: ['ignore', out, out], detached: true }));
    child.once('error', (e) => {
      fs.closeSync(out);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      fs.closeSync(out);
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (${signal ?? `exit ${code}`}):\n${tail(logFile)}`));
    });
  });
}

function tail(file: string, lines = 25): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function asUser(runAs: RunAs, command: string[]): string[] {
  return runAs.credentials.length > 0 ? ['setpriv', ...runAs.credentials, ...command] : command;
}

/**
 * Starts a long-running server whose parent-death signal is set, so it does not outlive this
 * process even when we are killed without a chance to clean up. One setpriv does both the
 * user switch and the signal: the kernel clears the parent-death signal on a later
 * credential change.
 */
function startDaemon(runAs: RunAs, command: string[], logFile: string, deathSignal: string): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  const child = track(
    spawn('setpriv', ['--pdeathsig', deathSignal, ...runAs.credentials, ...command], {
      stdio: ['ignore', out, out],
    }),
  );
  fs.closeSync(out);
  return child;
}

/** Polls `probe` until it succeeds, the process dies, or the deadline passes. */
async function waitUntilReady(
  child: ChildProcess,
  probe: () => Promise<void>,
  what: string,
  logFile: string,
): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ?? `exit ${code}`));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${what} stopped during start-up (${exited}):\n${tail(logFile)}`);
    try {
      await probe();
      return;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready after ${READY_TIMEOUT_MS} ms (${String(lastError)}):\n${tail(logFile)}`);
}

function stopper(child: ChildProcess, signal: NodeJS.Signals): Pick<RunningServer, 'stop'> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    async stop() {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function startMariaDb(dir: string): Promise<RunningServer> {
  const mariadbd = findExecutable('mariadbd', ['/usr/sbin']) ?? findExecutable('mysqld', ['/usr/sbin']);
  const installDb = findExecutable('mariadb-install-db', ['/usr/bin', '/usr/sbin']);
  if (!mariadbd || !installDb) {
    throw new MissingServerBinary('mariadb', 'mariadb-server', mariadbd ? 'mariadb-install-db' : 'mariadbd');
  }
  fs.mkdirSync(dir, { recursive: true });
  const dataDir = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  const log = path.join(dir, 'mariadb.log');
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  await run(
    [
      installDb,
      '--no-defaults',
      `--datadir=${dataDir}`,
      ...asRoot,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
    ],
    log,
    'mariadb-install-db',
  );
  // Executed once by the server at start-up: a password user reachable over TCP from anywhere,
  // so the tests never depend on how root's authentication happens to be set up.
  const initFile = path.join(dir, 'init.sql');
  fs.writeFileSync(
    initFile,
    [
      `CREATE USER IF NOT EXISTS '${TEST_USER}'@'%' IDENTIFIED BY '${TEST_PASSWORD}';`,
      `GRANT ALL PRIVILEGES ON *.* TO '${TEST_USER}'@'%' WITH GRANT OPTION;`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const launch = () => startDaemon(
    { credentials: [] },
    [
      mariadbd,
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      ...asRoot,
      `--init-file=${initFile}`,
      '--skip-name-resolve',
      `--pid-file=${path.join(dir, 'mysqld.pid')}`,
      `--log-error=${log}`,
      '--skip-log-bin',
      '--max-connections=1000',
      // --no-defaults drops Debian's packaged utf8mb4 default; keep what deployments use.
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_general_ci',
      '--innodb-buffer-pool-size=128M',
      '--innodb-flush-log-at-trx-commit=2',
      '--innodb-doublewrite=0',
    ],
    log,
    'KILL',
  );
  const info: ServerConnection = {
    available: true,
    host: '127.0.0.1',
    port,
    user: TEST_USER,
    password: TEST_PASSWORD,
    socket,
  };
  const ready = async (child: ChildProcess) => {
    try {
      await waitUntilReady(
        child,
        async () => {
          const conn = await mysql.createConnection({ host: info.host, port, user: info.user, password: info.password });
          try {
            await conn.query('SELECT 1');
          } finally {
            await conn.end();
          }
        },
        'mariadbd',
        log,
      );
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
  };
  return restartable(info, launch, ready, 'SIGKILL');
}

/** stop/kill/restart around a daemon that `launch` starts and `ready` waits for. */
async function restartable(
  info: ServerConnection,
  launch: () => ChildProcess,
  ready: (child: ChildProcess) => Promise<void>,
  stopSignal: NodeJS.Signals,
  /** PostgreSQL: SIGQUIT, its crash-like immediate stop (a SIGKILLed postmaster leaves its backends). */
  killSignal: NodeJS.Signals = 'SIGKILL',
): Promise<RunningServer> {
  let child = launch();
  await ready(child);
  let current = stopper(child, stopSignal);
  return {
    info,
    stop: () => current.stop(),
    async kill() {
      await stopper(child, killSignal).stop();
    },
    async restart() {
      child = launch();
      current = stopper(child, stopSignal);
      await ready(child);
    },
  };
}

/**
 * `durableCommits`: keep synchronous_commit on, so that a commit the server acknowledged
 * survives the server process being killed (fault tests); off by default, for speed.
 */
export async function startPostgres(dir: string, options: { durableCommits?: boolean } = {}): Promise<RunningServer> {
  const bin = findPostgresBin();
  if (!bin) throw new MissingServerBinary('postgres', 'postgresql', 'PostgreSQL (initdb/postgres)');
  const runAs = unprivilegedRunner();
  fs.mkdirSync(dir, { recursive: true });
  if (runAs.uid !== undefined) fs.chownSync(dir, runAs.uid, runAs.gid!);
  const dataDir = path.join(dir, 'data');
  const log = path.join(dir, 'postgres.log');
  const pwFile = path.join(dir, 'pwfile');
  fs.writeFileSync(pwFile, `${TEST_PASSWORD}\n`, { mode: 0o600 });
  fs.writeFileSync(log, '');
  if (runAs.uid !== undefined) {
    fs.chownSync(pwFile, runAs.uid, runAs.gid!);
    fs.chownSync(log, runAs.uid, runAs.gid!);
  }
  await run(
    asUser(runAs, [
      path.join(bin, 'initdb'),
      `--pgdata=${dataDir}`,
      `--username=${TEST_USER}`,
      `--pwfile=${pwFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
      '--no-instructions',
    ]),
    log,
    'initdb',
  );
  const port = await freePort();
  const launch = () => startDaemon(
    runAs,
    [
      path.join(bin, 'postgres'),
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=300',
      // Throwaway data: durability only costs time.
      '-c',
      'fsync=off',
      '-c',
      `synchronous_commit=${options.durableCommits ? 'on' : 'off'}`,
      '-c',
      'full_page_writes=off',
    ],
    log,
    // SIGQUIT is PostgreSQL's immediate shutdown; it also takes the backends down.
    'QUIT',
  );
  const info: ServerConnection = {
    available: true,
    host: '127.0.0.1',
    port,
    user: TEST_USER,
    password: TEST_PASSWORD,
    socket: dir,
  };
  const ready = async (child: ChildProcess) => {
    try {
      await waitUntilReady(
        child,
        async () => {
          const client = new pg.Client({ host: info.host, port, user: info.user, password: info.password, database: 'postgres' });
          client.on('error', () => undefined);
          await client.connect();
          try {
            await client.query('SELECT 1');
          } finally {
            await client.end();
          }
        },
        'postgres',
        log,
      );
    } catch (e) {
      child.kill('SIGQUIT');
      throw e;
    }
  };
  return restartable(info, launch, ready, 'SIGQUIT', 'SIGQUIT');
}

export interface DbServers {
  root: string;
  servers: Record<ServerBackend, ServerInfo>;
  /** Stops every server that started and deletes the temp root. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Backends to start; the others are reported unavailable. */
  wanted?: ServerBackend[];
  /** When true a missing binary is an error (CI); otherwise the backend is just unavailable. */
  requireBinaries: boolean;
  log?: (line: string) => void;
}

/**
 * Starts both servers in parallel under one fresh temp root. From the first moment, an exit
 * or a signal (Ctrl-C, a CI timeout) kills whatever has been started and deletes the root.
 */
export async function startDbServers(options: StartOptions): Promise<DbServers> {
  const log = options.log ?? ((line: string) => console.warn(line));
  const wanted = options.wanted ?? ['mariadb', 'postgres'];
  removeAbandonedRoots();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), ROOT_PREFIX));
  fs.writeFileSync(path.join(root, OWNER_FILE), String(process.pid));
  // PostgreSQL runs as another user and must be able to reach its directory below this one.
  fs.chmodSync(root, 0o755);
  const running: RunningServer[] = [];
  let stopped = false;
  const removeHandlers = onExitOrSignal(() => {
    stopped = true;
    killAllChildren();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.allSettled(running.map((s) => s.stop()));
    killAllChildren();
    fs.rmSync(root, { recursive: true, force: true });
    removeHandlers();
  };

  const starters: Record<ServerBackend, () => Promise<RunningServer>> = {
    mariadb: () => startMariaDb(path.join(root, 'mariadb')),
    postgres: () => startPostgres(path.join(root, 'postgres')),
  };
  const servers: Record<ServerBackend, ServerInfo> = {
    mariadb: { available: false, reason: 'not requested (MLMD_TEST_BACKENDS)' },
    postgres: { available: false, reason: 'not requested (MLMD_TEST_BACKENDS)' },
  };
  const results = await Promise.allSettled(
    wanted.map(async (backend) => {
      const server = await starters[backend]();
      running.push(server);
      servers[backend] = server.info;
    }),
  );
  const failures: string[] = [];
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return;
    const backend = wanted[i];
    const error = result.reason as Error;
    if (error instanceof MissingServerBinary && !options.requireBinaries) {
      log(`[test servers] ${backend} tests will be skipped: ${error.message}`);
      servers[backend] = { available: false, reason: error.message };
    } else {
      failures.push(`${backend}: ${error.message}`);
    }
  });
  if (failures.length > 0) {
    await stop();
    throw new Error(`could not start the test database servers:\n${failures.join('\n')}`);
  }
  return { root, servers, stop };
}

const ROOT_PREFIX = 'mlmd-test-';
const OWNER_FILE = 'owner.pid';

/**
 * A run killed with SIGKILL takes its servers along (parent-death signal) but cannot delete
 * its directory; the next run does, once the owning process is gone.
 */
function removeAbandonedRoots(): void {
  const tmp = os.tmpdir();
  for (const entry of fs.readdirSync(tmp)) {
    if (!entry.startsWith(ROOT_PREFIX)) continue;
    const dir = path.join(tmp, entry);
    try {
      const ownerFile = path.join(dir, OWNER_FILE);
      if (fs.existsSync(ownerFile)) {
        if (isAlive(Number(fs.readFileSync(ownerFile, 'utf8')))) continue;
      } else if (Date.now() - fs.statSync(dir).mtimeMs < 60_000) {
        continue; // no owner yet: possibly a run that is starting right now
      }
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // another run cleaned it up first
    }
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How processes outside vitest (pytest, scripts) learn where the servers are. */
export function serverEnvironment(servers: Record<ServerBackend, ServerInfo>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [backend, info] of Object.entries(servers)) {
    const prefix = `MLMD_TEST_${backend.toUpperCase()}_`;
    if (info.available) {
      env[`${prefix}HOST`] = info.host;
      env[`${prefix}PORT`] = String(info.port);
      env[`${prefix}USER`] = info.user;
      env[`${prefix}PASSWORD`] = info.password;
    } else {
      env[`${prefix}UNAVAILABLE`] = info.reason;
    }
  }
  return env;
}

/** MLMD_TEST_BACKENDS=sqlite,postgres narrows a local run; unset means all. */
export function wantedBackends(): Array<'sqlite' | ServerBackend> {
  const raw = process.env.MLMD_TEST_BACKENDS?.trim();
  const all = ['sqlite', 'mariadb', 'postgres'] as const;
  if (!raw) return [...all];
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(all as readonly string[]).includes(name)) {
      throw new Error(`MLMD_TEST_BACKENDS: unknown backend "${name}" (expected ${all.join(', ')})`);
    }
  }
  return names as Array<'sqlite' | ServerBackend>;
}

/**
 * Runs `cleanUp` (synchronously) on 'exit' and on SIGINT/SIGTERM/SIGHUP; after a signal the
 * process exits as the default action would unless someone else also handles that signal.
 * Returns a function that removes the handlers.
 */
function onExitOrSignal(cleanUp: () => void): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (signal: NodeJS.Signals) => {
    cleanUp();
    if (process.listenerCount(signal) <= 1) process.exit(128 + (os.constants.signals[signal] ?? 1));
  };
  process.on('exit', cleanUp);
  for (const s of signals) process.on(s, onSignal);
  return () => {
    process.off('exit', cleanUp);
    for (const s of signals) process.off(s, onSignal);
  };
}
