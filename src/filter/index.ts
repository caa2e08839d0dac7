import type { Knex } from 'knex';
import type { Tx } from '../database/database';
import { NODE_TABLE } from '../database/tables';
import type { NodeKind, ResolvedFilter } from './ast';
import { parseFilter } from './parser';
import { resolveFilter } from './resolver';
import { buildFilteredIdsQuery, planJoins } from './sql_translation';

/**
 * The filter_query language (contract §10): the one entry point for the list RPCs and lineage.
 *
 *   compileFilter(kind, text)          parse + validate; MlmdError INVALID_ARGUMENT on any problem
 *   filteredIdsQuery(tx, kind, text)   Knex subquery `SELECT DISTINCT f.id ...` of matching ids
 *   filterRestriction(tx, kind, text)  narrows a listing whose node table is aliased `n`
 *   matchingNodeIds(tx, kind, text, …) ids, ascending, optionally among candidates / limited
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

/** Candidate lists are split so bound parameters stay far below every backend's limit. */
const CANDIDATES_PER_STATEMENT = 5000;

/**
 * Ids of matching nodes in ascending order; with `candidates`, only among those; with `limit`,
 * the lowest that many. An empty filter matches every node (or every candidate).
 */
export async function matchingNodeIds(
  tx: Tx,
  kind: NodeKind,
  text: string | undefined,
  options: { candidates?: readonly number[]; limit?: number } = {},
): Promise<number[]> {
  const compiled = hasFilter(text) ? compileFilter(kind, text) : undefined;
  const table = tx.table(NODE_TABLE[kind]);
  const run = async (chunk?: readonly number[]): Promise<number[]> => {
    const query = compiled ? buildFilteredIdsQuery(tx, compiled) : tx.knex.from({ f: table }).select('f.id');
    if (chunk) query.whereIn('f.id', chunk as number[]);
    const outer = tx.knex.from(query.as('m')).select('m.id').orderBy('m.id', 'asc');
    if (options.limit !== undefined) outer.limit(options.limit);
    return ((await outer) as { id: number | string }[]).map((r) => Number(r.id));
  };
  if (!options.candidates) return run();
  const unique = [...new Set(options.candidates)];
  const found: number[] = [];
  for (let i = 0; i < unique.length; i += CANDIDATES_PER_STATEMENT) {
    found.push(...(await run(unique.slice(i, i + CANDIDATES_PER_STATEMENT))));
  }
  found.sort((a, b) => a - b);
  return options.limit !== undefined ? found.slice(0, options.limit) : found;
}
