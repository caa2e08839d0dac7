import type { Knex } from 'knex';
import type { Dialect } from '../config';

/** Read-only questions about the live schema, so upgrade steps can skip what is done. */
export async function columnExists(knex: Knex, dialect: Dialect, table: string, column: string): Promise<boolean> {
  if (dialect === 'sqlite') {
    const rows = (await knex.raw(`SELECT name FROM pragma_table_info(?)`, [table])) as { name: string }[];
    return rows.some((r) => r.name === column);
  }
  if (dialect === 'mysql') {
    const [rows] = await knex.raw(
      'SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
      [table, column],
    );
    return (rows as unknown[]).length > 0;
  }
  const result = await knex.raw(
    'SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?',
    [table, column],
  );
  return result.rows.length > 0;
}

export async function indexExists(knex: Knex, dialect: Dialect, table: string, index: string): Promise<boolean> {
  if (dialect === 'sqlite') {
    const rows = (await knex.raw(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`, [index])) as unknown[];
    return rows.length > 0;
  }
  if (dialect === 'mysql') {
    const [rows] = await knex.raw(
      'SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?',
      [table, index],
    );
    return (rows as unknown[]).length > 0;
  }
  const result = await knex.raw('SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?', [
    index.toLowerCase(),
  ]);
  return result.rows.length > 0;
}

export async function tableExists(knex: Knex, dialect: Dialect, table: string): Promise<boolean> {
  if (dialect === 'sqlite') {
    const rows = (await knex.raw(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`, [table])) as unknown[];
    return rows.length > 0;
  }
  if (dialect === 'mysql') {
    const [rows] = await knex.raw(
      'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
      [table],
    );
    return (rows as unknown[]).length > 0;
  }
  const result = await knex.raw('SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?', [
    table.toLowerCase(),
  ]);
  return result.rows.length > 0;
}

/** Total number of index entries, counted the way upstream's own migration tests count them. */
export async function countIndexEntries(knex: Knex, dialect: Dialect): Promise<number> {
  if (dialect === 'sqlite') {
    const rows = (await knex.raw(
      `SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND tbl_name NOT LIKE 'mlmd_ts%'`,
    )) as { n: number }[];
    return Number(rows[0].n);
  }
  if (dialect === 'mysql') {
    const [rows] = await knex.raw(
      `SELECT count(*) AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'mlmd_ts%'`,
    );
    return Number((rows as { n: number }[])[0].n);
  }
  const result = await knex.raw(
    `SELECT count(*) AS n FROM pg_indexes WHERE schemaname = current_schema() AND tablename NOT LIKE 'mlmd_ts%'`,
  );
  return Number(result.rows[0].n);
}
