import type { Knex } from 'knex';
import type { Dialect } from '../config';
import { aborted, dataLoss } from '../../errors';
import { MLMD_TABLES, physicalTableName, type TableName } from '../tables';

/** Which of upstream's fifteen tables exist. */
export async function existingMlmdTables(knex: Knex, dialect: Dialect): Promise<Set<TableName>> {
  const present = new Set<TableName>();
  let names: string[];
  if (dialect === 'sqlite') {
    const rows = await knex.raw(`SELECT name FROM sqlite_master WHERE type = 'table'`);
    names = (rows as { name: string }[]).map((r) => r.name.toLowerCase());
  } else if (dialect === 'mysql') {
    const [rows] = await knex.raw(
      'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
    );
    // lower_case_table_names may differ between servers; compare case-insensitively.
    names = (rows as { name: string }[]).map((r) => r.name.toLowerCase());
  } else {
    const result = await knex.raw(`SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()`);
    names = (result.rows as { name: string }[]).map((r) => r.name.toLowerCase());
  }
  const found = new Set(names);
  for (const table of MLMD_TABLES) {
    if (found.has(table.toLowerCase())) present.add(table);
  }
  return present;
}

/**
 * Upstream's rule for reading MLMDEnv: exactly one row is the version; no row means another
 * process is half-way through initialising (ABORTED, retry); several rows is corruption.
 * Returns null when the table does not exist (an empty database, or an MLMD 0.13.2 layout).
 */
export async function readSchemaVersion(knex: Knex, dialect: Dialect): Promise<number | null> {
  const tables = await existingMlmdTables(knex, dialect);
  if (!tables.has('MLMDEnv')) {
    return looksLikeVersionZero(knex, dialect, tables) ? 0 : null;
  }
  const rows = (await knex(physicalTableName(dialect, 'MLMDEnv')).select('schema_version')) as {
    schema_version: number | string;
  }[];
  if (rows.length === 0) {
    throw aborted(
      'MLMDEnv exists but holds no schema_version; another server may be initialising this database concurrently. Retry.',
    );
  }
  if (rows.length > 1) {
    throw dataLoss(`MLMDEnv holds ${rows.length} schema_version rows; expected exactly one.`);
  }
  return Number(rows[0].schema_version);
}

/** MLMD 0.13.2 had no MLMDEnv; its eight tables with Type.is_artifact_type mark version 0. */
function looksLikeVersionZero(knex: Knex, dialect: Dialect, tables: Set<TableName>): boolean {
  void knex;
  void dialect;
  const v0: TableName[] = ['Type', 'TypeProperty', 'Artifact', 'ArtifactProperty', 'Execution', 'ExecutionProperty', 'Event', 'EventPath'];
  return v0.every((t) => tables.has(t)) && !tables.has('Context');
}
