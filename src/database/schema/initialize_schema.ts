import type { Knex } from 'knex';
import { failedPrecondition, internal, isMlmdError, StatusCode } from '../../errors';
import type { DatabaseConfig, SchemaMigrations, SchemaOptions } from '../config';
import { dialectOf } from '../dialect';
import { withSchemaInitLock } from './init_lock';
import { readSchemaVersion } from './schema_state';
import { insertMissingSimpleTypes } from './simple_types';
import { upgradeToCurrent, UPGRADABLE_FROM } from './upstream_upgrades';
import { SCHEMA_VERSION } from './v10_ddl';

const ATTEMPTS = 5;

/**
 * Start-up schema handling, upstream's decision table plus our migrations:
 * empty database -> create version 10; version 10 -> serve; older -> upgrade only when
 * enabled; newer -> refuse. All of it runs under a database-wide lock, so concurrent
 * replicas queue instead of racing. Returns the schema version being served.
 */
export async function initializeSchema(
  knex: Knex,
  config: DatabaseConfig,
  options: SchemaOptions,
  migrations: SchemaMigrations,
  attempts = ATTEMPTS,
): Promise<number> {
  if (options.downgradeToVersion >= 0) {
    throw failedPrecondition(
      `--downgrade_db_schema_version=${options.downgradeToVersion} is not supported by this server; ` +
        "run upstream's metadata_store_server with that flag to downgrade, then start the server of the matching release.",
    );
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await withSchemaInitLock(knex, config, () => initializeLocked(knex, options, migrations));
    } catch (e) {
      // ABORTED: a half-initialised database we did not create (e.g. an upstream server
      // without our lock is creating it right now). Upstream retries these too.
      if (isMlmdError(e) && e.code === StatusCode.ABORTED && attempt < attempts) {
        await new Promise((r) => setTimeout(r, 200 * attempt + Math.random() * 200));
        continue;
      }
      throw e;
    }
  }
}

async function initializeLocked(knex: Knex, options: SchemaOptions, migrations: SchemaMigrations): Promise<number> {
  const dialect = dialectOf(knex);
  const found = await readSchemaVersion(knex, dialect);
  if (found !== null && found > SCHEMA_VERSION) {
    throw failedPrecondition(
      `MLMD database version ${found} is newer than this server's schema version ${SCHEMA_VERSION}; ` +
        'use a server release that supports it, or downgrade the database with one.',
    );
  }
  if (found !== null && found < SCHEMA_VERSION) {
    if (!options.enableUpgrade) {
      throw failedPrecondition(
        `MLMD database version ${found} is older than this server's schema version ${SCHEMA_VERSION}. ` +
          'Schema migration is disabled; restart with --enable_database_upgrade=true to upgrade it.',
      );
    }
    if (!UPGRADABLE_FROM.includes(found)) {
      throw failedPrecondition(
        `MLMD database version ${found} cannot be upgraded by this server (it upgrades versions ${UPGRADABLE_FROM.join(', ')}); ` +
          "upgrade it first with upstream's metadata_store_server.",
      );
    }
    await upgradeToCurrent(knex, dialect, found);
  }
  await knex.migrate.latest({ migrationSource: migrations.source, tableName: migrations.tableName });
  await insertMissingSimpleTypes(knex, dialect);
  const served = await readSchemaVersion(knex, dialect);
  if (served !== SCHEMA_VERSION) {
    throw internal(`schema initialisation ended at version ${served}, expected ${SCHEMA_VERSION}`);
  }
  return served;
}
