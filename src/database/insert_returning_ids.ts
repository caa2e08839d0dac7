import type { Knex } from 'knex';
import type { Dialect } from './config';
import { dialectOf } from './dialect';
import { multiRowInsert } from './multi_row_insert';
import type { UnitKnex } from './unit_knex';

/**
 * How this server's database reports the ids of a multi-row INSERT. PostgreSQL, SQLite and
 * MariaDB >= 10.5 support INSERT ... RETURNING. MySQL does not; there, one statement's
 * auto-increment ids are consecutive only with innodb_autoinc_lock_mode 0 or 1 (MySQL 8
 * defaults to 2), so with 2 we fall back to one INSERT per row.
 */
export type InsertIdStrategy = 'returning' | 'mariadb_returning' | 'consecutive' | 'row_by_row';

export async function detectInsertIdStrategy(knex: Knex, dialect: Dialect): Promise<InsertIdStrategy> {
  if (dialect !== 'mysql') return 'returning';
  const [rows] = await knex.raw('SELECT VERSION() AS version, @@innodb_autoinc_lock_mode AS mode');
  const { version, mode } = (rows as { version: string; mode: number }[])[0];
  const mariadb = /mariadb/i.exec(version);
  if (mariadb) {
    const [major, minor] = version.split('.').map(Number);
    if (major > 10 || (major === 10 && minor >= 5)) return 'mariadb_returning';
  }
  return Number(mode) <= 1 ? 'consecutive' : 'row_by_row';
}

/**
 * Inserts `rows` (all with the same keys) into a table with an auto-increment `id` and returns
 * the new ids in row order. Ids of one statement are ascending in insertion order, so sorting
 * the RETURNING output recovers the order whatever order the engine returns rows in.
 */
export async function insertReturningIds(
  trx: UnitKnex,
  strategy: InsertIdStrategy,
  table: string,
  rows: Record<string, unknown>[],
): Promise<number[]> {
  if (rows.length === 0) return [];
  switch (strategy) {
    case 'returning': {
      if (dialectOf(trx) === 'sqlite') {
        // Knex's SQLite form (INSERT ... SELECT UNION ALL) fails beyond 500 rows.
        const returned = (await multiRowInsert(trx, 'sqlite', table, rows, { suffix: ' RETURNING `id`' })) as { id: number }[];
        return returned.map((r) => Number(r.id)).sort((a, b) => a - b);
      }
      const returned = (await trx(table).insert(rows).returning('id')) as ({ id: number } | number)[];
      return returned.map((r) => Number(typeof r === 'object' ? r.id : r)).sort((a, b) => a - b);
    }
    case 'mariadb_returning': {
      const { sql, bindings } = trx(table).insert(rows).toSQL();
      const [returned] = await trx.raw(`${sql} RETURNING \`id\``, bindings as readonly Knex.Value[]);
      return (returned as { id: number }[]).map((r) => Number(r.id)).sort((a, b) => a - b);
    }
    case 'consecutive': {
      const [first] = (await trx(table).insert(rows)) as number[];
      return rows.map((_, i) => Number(first) + i);
    }
    case 'row_by_row': {
      const ids: number[] = [];
      for (const row of rows) {
        const [id] = (await trx(table).insert(row)) as number[];
        ids.push(Number(id));
      }
      return ids;
    }
  }
}
