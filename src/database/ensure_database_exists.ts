import knexFactory from 'knex';
import type { DatabaseTimeouts, MysqlConfig, PostgresConfig } from './config';
import { classifyDbError } from './db_errors';
import { serverLevelKnexConfig } from './knex_config';

/**
 * Upstream creates the named database on connect unless told not to (skip_db_creation), so a
 * fresh MySQL or PostgreSQL server needs no manual step. Racing replicas may both try; the
 * loser's "already exists" is success.
 */
export async function ensureDatabaseExists(config: MysqlConfig | PostgresConfig, timeouts?: DatabaseTimeouts): Promise<void> {
  if (config.skipDbCreation) return;
  const admin = knexFactory(serverLevelKnexConfig(config, timeouts));
  try {
    if (config.kind === 'mysql') {
      assertPlainIdentifier(config.database, 'mysql database');
      await admin.raw(`CREATE DATABASE IF NOT EXISTS \`${config.database}\``);
    } else {
      const result = await admin.raw('SELECT 1 FROM pg_catalog.pg_database WHERE lower(datname) = lower(?)', [
        config.dbname,
      ]);
      if (result.rows.length === 0) {
        assertPlainIdentifier(config.dbname, 'postgres dbname');
        try {
          await admin.raw(`CREATE DATABASE "${config.dbname}"`);
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (code !== '42P04' && classifyDbError('postgres', e) !== 'unique_violation') throw e;
        }
      }
    }
  } finally {
    await admin.destroy();
  }
}

/** Database names go into DDL, which cannot take bound parameters. */
function assertPlainIdentifier(name: string, what: string): void {
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(name)) {
    throw new Error(`${what} "${name}" must consist of letters, digits, '_', '$' or '-'`);
  }
}
