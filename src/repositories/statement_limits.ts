/**
 * The statement-size policy, in one place: how many ids, rows or probes one SQL statement may
 * carry. Every limit keeps a statement far below each backend's bound-parameter limit (SQLite
 * 32,766; MySQL and PostgreSQL 65,535) and below MySQL's packet size, while a request of a few
 * thousand items still costs one statement per step. Repositories split long lists with
 * `chunked` and one of these sizes; no other file holds a size.
 */

/** Ids in one `IN (...)` list. */
export const MAX_IDS_PER_STATEMENT = 10_000;

/** Bound parameters in one multi-row write: under the smallest backend limit (SQLite's). */
const MAX_BINDINGS_PER_STATEMENT = 30_000;

/** How many rows of `bindingsPerRow` parameters fit one statement. */
export function rowsPerStatement(bindingsPerRow: number): number {
  return Math.max(1, Math.floor(MAX_BINDINGS_PER_STATEMENT / bindingsPerRow));
}

/** Rows per multi-row INSERT of fixed-width tables (sizes kept from before the policy was gathered here). */
export const ROWS_PER_INSERT = {
  /** Event (4 parameters) and EventPath (4) rows. */
  event: 2_000,
  /** Attribution, Association and ParentContext rows (2 parameters). */
  edge: 5_000,
  /** Type rows (7 parameters). */
  type: 2_000,
  /** TypeProperty rows (3 parameters). */
  typeProperty: 3_000,
  /** ParentType rows (2 parameters). */
  parentType: 5_000,
} as const;

/** Type external-id updates per statement (a CASE with 2 parameters per row, plus the id list). */
export const TYPE_UPDATES_PER_STATEMENT = 3_000;

/** (artifact, execution) keys per event-existence lookup (two IN lists of up to this many ids each). */
export const EVENT_KEYS_PER_LOOKUP = 4_000;

/** Candidate ids per filtered match (the filter's own bindings come on top). */
export const CANDIDATES_PER_STATEMENT = 5_000;

/** Probes per UNION ALL statement: SQLite caps a compound SELECT at 500 terms. */
export const PROBES_PER_STATEMENT = 400;

export function chunked<T>(items: readonly T[], size = MAX_IDS_PER_STATEMENT): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
