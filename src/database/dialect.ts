import type { Knex } from 'knex';
import type { Dialect } from './config';

/** Our dialect name for a Knex instance (migrations receive only the Knex handle). */
export function dialectOf(knex: Pick<Knex, 'client'>): Dialect {
  const name = (knex.client as { dialect?: string }).dialect;
  if (name === 'mysql') return 'mysql';
  if (name === 'postgresql') return 'postgres';
  if (name === 'sqlite3') return 'sqlite';
  throw new Error(`unsupported Knex dialect ${name}`);
}
