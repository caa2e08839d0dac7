import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { DatabaseConfig } from '../../src/database/config';
import type { BackendName } from '../support/backends';
import { startMariaDb, startPostgres, type RunningServer } from '../support/db_servers';

/**
 * A database server of its own for a suite that kills or restarts it, so the run's shared
 * server (every other suite's) is never touched. Started in beforeAll, gone in afterAll.
 */
export function dedicatedServer(backend: Exclude<BackendName, 'sqlite'>): {
  server: () => RunningServer;
  config: (database: string) => DatabaseConfig;
} {
  let server: RunningServer | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlmd-faults-${backend}-`));
    fs.chmodSync(dir, 0o755);
    server = backend === 'mariadb' ? await startMariaDb(path.join(dir, 'db')) : await startPostgres(path.join(dir, 'db'), { durableCommits: true });
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    server: () => server!,
    config: (database) => {
      const s = server!.info;
      return backend === 'mariadb'
        ? { kind: 'mysql', host: s.host, port: s.port, user: s.user, password: s.password, database }
        : { kind: 'postgres', host: s.host, port: s.port, user: s.user, password: s.password, dbname: database };
    },
  };
}
