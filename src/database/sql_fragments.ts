import type { Knex } from 'knex';
import type { UnitKnex } from './unit_knex';
import type { Dialect } from './config';

/**
 * int64 property values can exceed 2^53, which the SQLite and MySQL drivers would hand back
 * as lossy JS numbers. Selecting them as text and parsing with BigInt keeps every bit.
 */
export function integerAsText(knex: UnitKnex, dialect: Dialect, column: string, alias: string): Knex.Raw {
  const type = dialect === 'mysql' ? 'CHAR' : 'TEXT';
  return knex.raw(`CAST(?? AS ${type}) AS ??`, [column, alias]);
}
