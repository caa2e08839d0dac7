import type { Knex } from 'knex';
import type { UnitKnex } from './unit_knex';
import type { Dialect } from './config';

export interface MultiRowInsertOptions {
  /** Skip rows that collide with an existing row on this unique key instead of failing. */
  ignoreConflictsOn?: readonly string[];
  /** Appended to the statement, e.g. a RETURNING clause. */
  suffix?: string;
}

/**
 * ONE INSERT of many rows (all with the same keys). Knex compiles SQLite multi-row inserts
 * as `INSERT ... SELECT ... UNION ALL SELECT ...`, which SQLite caps at 500 terms
 * (SQLITE_MAX_COMPOUND_SELECT); a VALUES list has no such cap, so SQLite gets one written
 * here. MySQL and PostgreSQL use Knex's own VALUES form.
 */
export function multiRowInsert(
  trx: UnitKnex,
  dialect: Dialect,
  table: string,
  rows: readonly Record<string, unknown>[],
  options: MultiRowInsertOptions = {},
): Knex.Raw | Knex.QueryBuilder {
  const { ignoreConflictsOn, suffix = '' } = options;
  if (dialect !== 'sqlite') {
    const insert = trx(table).insert(rows as Record<string, unknown>[]);
    const query = ignoreConflictsOn ? insert.onConflict([...ignoreConflictsOn]).ignore() : insert;
    if (!suffix) return query;
    const { sql, bindings } = query.toSQL();
    return trx.raw(`${sql}${suffix}`, bindings as readonly Knex.Value[]);
  }
  const columns = Object.keys(rows[0]);
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const conflict = ignoreConflictsOn ? ` ON CONFLICT (${ignoreConflictsOn.map(() => '??').join(', ')}) DO NOTHING` : '';
  const bindings: unknown[] = [table, ...columns];
  for (const row of rows) for (const column of columns) bindings.push(row[column] ?? null);
  bindings.push(...(ignoreConflictsOn ?? []));
  return trx.raw(
    `INSERT INTO ?? (${columns.map(() => '??').join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}${conflict}${suffix}`,
    bindings as readonly Knex.Value[],
  );
}
