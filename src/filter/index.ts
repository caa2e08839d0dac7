import type { Knex } from 'knex';
import type { Tx } from '../database/database';
import type { NodeKind, ResolvedFilter } from './ast';
import { parseFilter } from './parser';
import { resolveFilter } from './resolver';
import { buildFilteredIdsQuery, planJoins } from './sql_translation';

export { buildFilteredIdsQuery };

/**
 * The filter_query language (contract §10): the one entry point for the list RPCs and lineage.
 * It compiles filters into Knex subqueries; the repositories run them (node_page_repository,
 * node_match_repository).
 *
 *   compileFilter(kind, text)          parse + validate; MlmdError INVALID_ARGUMENT on any problem
 *   filteredIdsQuery(tx, kind, text)   Knex subquery `SELECT DISTINCT f.id ...` of matching ids
 *   filterRestriction(tx, kind, text)  narrows a listing whose node table is aliased `n`
 *
 * An absent or empty filter means "no filter" (upstream only applies a non-empty one); a filter
 * of only blanks is a syntax error, as upstream.
 */
export type { NodeKind, ResolvedFilter } from './ast';

export function hasFilter(text: string | undefined): text is string {
  return text !== undefined && text !== '';
}

export function compileFilter(kind: NodeKind, text: string): ResolvedFilter {
  const resolved = resolveFilter(parseFilter(text), kind);
  planJoins(resolved); // refuses filters no backend could run in reasonable time
  return resolved;
}

/** The ids of `kind` nodes matching the filter, or undefined when there is no filter. */
export function filteredIdsQuery(tx: Tx, kind: NodeKind, text: string | undefined): Knex.QueryBuilder | undefined {
  if (!hasFilter(text)) return undefined;
  return buildFilteredIdsQuery(tx, compileFilter(kind, text));
}

/**
 * For listNodeIdPage's restrictions (node table aliased `n`). Validation happens here, before
 * any statement runs, so a bad filter is INVALID_ARGUMENT and never a database error.
 */
export function filterRestriction(
  tx: Tx,
  kind: NodeKind,
  text: string | undefined,
): ((query: Knex.QueryBuilder) => void) | undefined {
  const ids = filteredIdsQuery(tx, kind, text);
  if (!ids) return undefined;
  return (query) => {
    query.whereIn('n.id', ids);
  };
}
