import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDbServers, wantedBackends, type ServerBackend, type ServerInfo } from './db_servers';

/** What every test file can `inject('testBackends')`. */
export interface TestBackendsContext {
  /** A directory that lives as long as the run (SQLite files go here). */
  scratchDir: string;
  sqlite: { available: true } | { available: false; reason: string };
  mariadb: ServerInfo;
  postgres: ServerInfo;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testBackends: TestBackendsContext;
  }
}

/**
 * Once per `vitest run`: starts throwaway MariaDB and PostgreSQL servers in parallel and hands
 * their addresses to the tests. In CI a missing server binary fails the run; locally the
 * backend's tests are skipped with the reason.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const wanted = wantedBackends();
  const started = Date.now();
  const servers = await startDbServers({
    wanted: wanted.filter((b): b is ServerBackend => b !== 'sqlite'),
    requireBinaries: !!process.env.CI,
  });
  const scratchDir = path.join(servers.root, 'scratch');
  fs.mkdirSync(scratchDir, { recursive: true });
  const context: TestBackendsContext = {
    scratchDir,
    sqlite: wanted.includes('sqlite') ? { available: true } : { available: false, reason: 'not requested (MLMD_TEST_BACKENDS)' },
    ...servers.servers,
  };
  project.provide('testBackends', context);
  const up = (['mariadb', 'postgres'] as const).filter((b) => context[b].available);
  if (up.length > 0) console.log(`[test servers] ${up.join(' + ')} ready in ${Date.now() - started} ms`);
  return () => servers.stop();
}
