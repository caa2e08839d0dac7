import crypto from 'node:crypto';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { afterAll, describe, inject } from 'vitest';
import type { DatabaseConfig, Dialect, MysqlConfig, PostgresConfig } from '../../src/database/config';
import { knexConfig, serverLevelKnexConfig } from '../../src/database/knex_config';
import type { ServerConnection } from './db_servers';

export type BackendName = 'sqlite' | 'mariadb' | 'postgres';
export const BACKENDS: readonly BackendName[] = ['sqlite', 'mariadb', 'postgres'];

/** One storage backend as seen by a test suite. */
export interface TestBackend {
  readonly name: BackendName;
  readonly dialect: Dialect;
  /**
   * A config for a brand-new, empty database: a new file for SQLite, a `CREATE DATABASE` with
   * a unique name on MariaDB/PostgreSQL. Every call gives a different database.
   */
  freshDatabaseConfig(): Promise<DatabaseConfig>;
  /**
   * Raw Knex on the database of `config` (or on the server itself when omitted, for
   * server-level statements), with the same session settings as the server uses. Closed by
   * the suite's afterAll.
   */
  admin(config?: DatabaseConfig): Knex;
}

function uniqueName(backend: BackendName): string {
  return `mlmd_t_${backend}_${Date.now().toString(36)}_${crypto.randomBytes(4).toString('hex')}`;
}

function serverConfig(backend: 'mariadb' | 'postgres', server: ServerConnection, database: string): MysqlConfig | PostgresConfig {
  return backend === 'mariadb'
    ? { kind: 'mysql', host: server.host, port: server.port, user: server.user, password: server.password, database }
    : { kind: 'postgres', host: server.host, port: server.port, user: server.user, password: server.password, dbname: database };
}

class Backend implements TestBackend {
  readonly dialect: Dialect;
  private readonly open: Knex[] = [];
  private serverLevel?: Knex;

  constructor(
    readonly name: BackendName,
    private readonly scratchDir: string,
    private readonly server?: ServerConnection,
  ) {
    this.dialect = name === 'mariadb' ? 'mysql' : name;
  }

  async freshDatabaseConfig(): Promise<DatabaseConfig> {
    const database = uniqueName(this.name);
    if (this.name === 'sqlite') return { kind: 'sqlite', filename: path.join(this.scratchDir, `${database}.db`) };
    const config = serverConfig(this.name, this.server!, database);
    const quoted = this.name === 'mariadb' ? `\`${database}\`` : `"${database}"`;
    await this.admin().raw(`CREATE DATABASE ${quoted}`);
    return config;
  }

  admin(config?: DatabaseConfig): Knex {
    if (config) return this.track(knexFactory(knexConfig(config, 2)));
    if (this.name === 'sqlite') throw new Error('SQLite has no server: pass the config of the database to inspect');
    this.serverLevel ??= this.track(knexFactory(serverLevelKnexConfig(serverConfig(this.name, this.server!, ''))));
    return this.serverLevel;
  }

  private track(knex: Knex): Knex {
    this.open.push(knex);
    return knex;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.open.splice(0).map((k) => k.destroy()));
    this.serverLevel = undefined;
  }
}

/**
 * Declares the same suite once per backend: `${title} [sqlite]`, `[mariadb]`, `[postgres]`.
 * A backend whose server is not installed (locally) is skipped, its reason in the title.
 */
export function describeEachBackend(title: string, body: (backend: TestBackend) => void): void {
  const context = inject('testBackends');
  for (const name of BACKENDS) {
    const info = context[name];
    if (!info.available) {
      describe.skip(`${title} [${name}] (skipped: ${info.reason})`, () => body(new Backend(name, context.scratchDir)));
      continue;
    }
    describe(`${title} [${name}]`, () => {
      const backend = new Backend(name, context.scratchDir, name === 'sqlite' ? undefined : (info as ServerConnection));
      afterAll(() => backend.close());
      body(backend);
    });
  }
}
