import type { Knex } from 'knex';
import { failedPrecondition } from '../../errors';
import type { Dialect } from '../config';
import { columnExists, indexExists, tableExists } from './introspection';

/**
 * In-place upgrades of databases written by older upstream releases (MLMD 0.25 - 1.10, schema
 * versions 6 to 9, e.g. a Kubeflow Pipelines 1.x metadb) to schema version 10, producing the
 * layout upstream's own upgrade produces. MySQL commits DDL implicitly, so every step checks
 * the live schema first and can be re-run after an interruption; the version in MLMDEnv moves
 * only after a step has fully applied. PostgreSQL support began at version 10, so there is
 * nothing older to upgrade there.
 */
export const UPGRADABLE_FROM: readonly number[] = [6, 7, 8, 9];

const PROPERTY_TABLES = ['ArtifactProperty', 'ExecutionProperty', 'ContextProperty'] as const;
const PROPERTY_PREFIX: Record<(typeof PROPERTY_TABLES)[number], string> = {
  ArtifactProperty: 'artifact',
  ExecutionProperty: 'execution',
  ContextProperty: 'context',
};
const EXTERNAL_ID_TABLES = [
  ['Type', 'UniqueTypeExternalId', 'idx_type_external_id'],
  ['Artifact', 'UniqueArtifactExternalId', 'idx_artifact_external_id'],
  ['Execution', 'UniqueExecutionExternalId', 'idx_execution_external_id'],
  ['Context', 'UniqueContextExternalId', 'idx_context_external_id'],
] as const;

type Step = (knex: Knex, dialect: Dialect) => Promise<void>;

/** STEPS[v] turns a version v-1 database into version v. */
const STEPS: Record<number, Step> = {
  7: async (knex, dialect) => {
    for (const table of PROPERTY_TABLES) {
      if (dialect === 'mysql') await knex.raw(`ALTER TABLE \`${table}\` MODIFY COLUMN \`string_value\` MEDIUMTEXT`);
      await addColumnIfMissing(knex, dialect, table, 'byte_value', dialect === 'mysql' ? 'MEDIUMBLOB' : 'BLOB');
    }
    await addIndexIfMissing(knex, dialect, 'EventPath', 'idx_eventpath_event_id', '`event_id`');
  },
  8: async (knex, dialect) => {
    for (const table of PROPERTY_TABLES) {
      const p = PROPERTY_PREFIX[table];
      const partial = (column: string) => (dialect === 'sqlite' ? ` WHERE \`${column}\` IS NOT NULL` : '');
      const stringColumn = dialect === 'mysql' ? '`string_value`(255)' : '`string_value`';
      await addIndexIfMissing(knex, dialect, table, `idx_${p}_property_int`, '`name`, `is_custom_property`, `int_value`', partial('int_value'));
      await addIndexIfMissing(knex, dialect, table, `idx_${p}_property_double`, '`name`, `is_custom_property`, `double_value`', partial('double_value'));
      await addIndexIfMissing(knex, dialect, table, `idx_${p}_property_string`, `\`name\`, \`is_custom_property\`, ${stringColumn}`, partial('string_value'));
    }
    await rebuildEventWithUniqueKey(knex, dialect);
  },
  9: async (knex, dialect) => {
    for (const [table, uniqueName, indexName] of EXTERNAL_ID_TABLES) {
      await addColumnIfMissing(knex, dialect, table, 'external_id', 'VARCHAR(255)');
      if (dialect === 'mysql') {
        if (!(await indexExists(knex, dialect, table, uniqueName))) {
          await knex.raw(`ALTER TABLE \`${table}\` ADD CONSTRAINT \`${uniqueName}\` UNIQUE(\`external_id\`)`);
        }
      } else {
        // SQLite cannot add a UNIQUE column; a unique index enforces the same rule.
        await knex.raw(`CREATE UNIQUE INDEX IF NOT EXISTS \`${uniqueName}\` ON \`${table}\`(\`external_id\`)`);
      }
      await addIndexIfMissing(knex, dialect, table, indexName, '`external_id`');
    }
  },
  10: async (knex, dialect) => {
    for (const table of PROPERTY_TABLES) {
      await addColumnIfMissing(knex, dialect, table, 'proto_value', dialect === 'mysql' ? 'MEDIUMBLOB' : 'BLOB');
      await addColumnIfMissing(knex, dialect, table, 'bool_value', 'BOOLEAN');
    }
  },
};

export async function upgradeToCurrent(knex: Knex, dialect: Dialect, from: number): Promise<void> {
  if (dialect === 'postgres' || !UPGRADABLE_FROM.includes(from)) {
    throw failedPrecondition(`upgrading MLMD schema version ${from} on ${dialect} is not supported`);
  }
  for (let version = from + 1; version <= 10; version++) {
    if (dialect === 'sqlite') {
      // SQLite DDL is transactional: each step applies whole or not at all.
      await knex.transaction(async (trx) => {
        await STEPS[version](trx, dialect);
        await trx('MLMDEnv').update({ schema_version: version });
      });
    } else {
      await STEPS[version](knex, dialect);
      await knex('MLMDEnv').update({ schema_version: version });
    }
  }
}

async function addColumnIfMissing(knex: Knex, dialect: Dialect, table: string, column: string, type: string): Promise<void> {
  if (!(await columnExists(knex, dialect, table, column))) {
    await knex.raw(`ALTER TABLE \`${table}\` ADD COLUMN \`${column}\` ${type}`);
  }
}

async function addIndexIfMissing(
  knex: Knex,
  dialect: Dialect,
  table: string,
  index: string,
  columns: string,
  where = '',
): Promise<void> {
  if (await indexExists(knex, dialect, table, index)) return;
  if (dialect === 'mysql') {
    await knex.raw(`ALTER TABLE \`${table}\` ADD INDEX \`${index}\`(${columns})`);
  } else {
    await knex.raw(`CREATE INDEX \`${index}\` ON \`${table}\`(${columns})${where}`);
  }
}

/**
 * Version 8 made (artifact, execution, type) unique. Like upstream, rows are copied newest
 * first with duplicates ignored, so the highest id of each duplicate group survives, and paths
 * of dropped events are deleted. An interruption after the old table was dropped resumes at
 * the rename.
 */
async function eventIsUnique(knex: Knex, dialect: Dialect): Promise<boolean> {
  if (dialect === 'mysql') return indexExists(knex, dialect, 'Event', 'UniqueEvent');
  // SQLite names constraint indexes sqlite_autoindex_*; look at the table definition instead.
  const rows = (await knex.raw(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'Event'`)) as { sql: string }[];
  return /UNIQUE\s*\(\s*`?artifact_id`?\s*,\s*`?execution_id`?\s*,\s*`?type`?\s*\)/i.test(rows[0]?.sql ?? '');
}

async function rebuildEventWithUniqueKey(knex: Knex, dialect: Dialect): Promise<void> {
  const hasEvent = await tableExists(knex, dialect, 'Event');
  if (hasEvent && (await eventIsUnique(knex, dialect))) return;
  const idType = dialect === 'mysql' ? 'INTEGER PRIMARY KEY AUTO_INCREMENT' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
  const timeType = dialect === 'mysql' ? 'BIGINT' : 'INT';
  if (hasEvent) {
    await knex.raw(`DROP TABLE IF EXISTS \`EventTemp\``);
    await knex.raw(`CREATE TABLE \`EventTemp\` (
  \`id\` ${idType},
  \`artifact_id\` INT NOT NULL,
  \`execution_id\` INT NOT NULL,
  \`type\` INT NOT NULL,
  \`milliseconds_since_epoch\` ${timeType},
  CONSTRAINT \`UniqueEvent\` UNIQUE(\`artifact_id\`, \`execution_id\`, \`type\`)
)`);
    const ignore = dialect === 'mysql' ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
    await knex.raw(
      `${ignore} INTO \`EventTemp\` (\`id\`, \`artifact_id\`, \`execution_id\`, \`type\`, \`milliseconds_since_epoch\`) ` +
        'SELECT `id`, `artifact_id`, `execution_id`, `type`, `milliseconds_since_epoch` FROM `Event` ORDER BY `id` DESC',
    );
    await knex.raw('DROP TABLE `Event`');
  }
  await knex.raw(dialect === 'mysql' ? 'RENAME TABLE `EventTemp` TO `Event`' : 'ALTER TABLE `EventTemp` RENAME TO `Event`');
  await addIndexIfMissing(knex, dialect, 'Event', 'idx_event_execution_id', '`execution_id`');
  await knex.raw('DELETE FROM `EventPath` WHERE `event_id` NOT IN (SELECT `id` FROM `Event`)');
}
