import type { Tx } from '../database/database';
import { classifyDbError } from '../database/db_errors';

/**
 * Whether a failed statement clashed with a unique index (a row another transaction wrote
 * after our lookup, on MySQL invisible to our snapshot). The store uses it to tell a lost
 * creation race, which a fresh attempt resolves, from a real error.
 */
export function isUniqueViolation(tx: Tx, error: unknown): boolean {
  return classifyDbError(tx.dialect, error) === 'unique_violation';
}
