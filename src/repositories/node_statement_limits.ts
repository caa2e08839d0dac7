/**
 * Bound parameters one statement may carry on every backend: SQLite's default limit is
 * 32,766, MySQL's and PostgreSQL's 65,535. Staying under the smallest keeps a write of a
 * few thousand nodes or properties in one statement everywhere.
 */
export const MAX_BINDINGS_PER_STATEMENT = 30_000;

/** How many rows of `bindingsPerRow` parameters fit one statement. */
export function rowsPerStatement(bindingsPerRow: number): number {
  return Math.max(1, Math.floor(MAX_BINDINGS_PER_STATEMENT / bindingsPerRow));
}
