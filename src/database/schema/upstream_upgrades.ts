import type { Knex } from 'knex';
import { failedPrecondition } from '../../store/errors';
import type { Dialect } from '../config';

/**
 * In-place upgrades of databases written by older upstream releases to schema version 10.
 * Each step must be re-runnable: MySQL commits DDL implicitly, so a step interrupted half-way
 * is run again from the start on the next attempt.
 */
export const UPGRADABLE_FROM: readonly number[] = [];

export async function upgradeToCurrent(knex: Knex, dialect: Dialect, from: number): Promise<void> {
  void knex;
  void dialect;
  throw failedPrecondition(`upgrading MLMD schema version ${from} is not supported`);
}
