import type { Knex } from 'knex';
import { dialectOf } from '../src/database/dialect';
import { physicalTableName, type TableName } from '../src/database/tables';

const PROPERTY_TABLES: TableName[] = ['ArtifactProperty', 'ExecutionProperty', 'ContextProperty'];

/**
 * Upstream declares `int_value` as a 32-bit INT on MySQL and PostgreSQL, so an int64 property
 * beyond ±2^31 cannot be stored there. Widening to BIGINT is additive: every stored value
 * survives, and upstream's server still accepts the schema (it checks only that the columns
 * exist). SQLite's INT already holds 64 bits. Re-running is harmless.
 */
export async function up(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  if (dialect === 'sqlite') return;
  for (const table of PROPERTY_TABLES) {
    const name = physicalTableName(dialect, table);
    if (dialect === 'mysql') {
      await knex.raw('ALTER TABLE ?? MODIFY ?? BIGINT', [name, 'int_value']);
    } else {
      await knex.raw('ALTER TABLE ?? ALTER COLUMN ?? TYPE BIGINT', [name, 'int_value']);
    }
  }
}

/** Narrowing back could fail or truncate stored values, so the widening stays. */
export async function down(): Promise<void> {}
