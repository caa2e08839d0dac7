import type { Tx } from '../database/database';
import { NODE_TABLE, type NodeKind } from '../database/tables';
import { buildFilteredIdsQuery, compileFilter, hasFilter } from '../filter';
import { CANDIDATES_PER_STATEMENT, chunked } from './statement_limits';
import { whereVisible, type NodeVisibility } from './node_namespace_repository';


/**
 * Ids of matching nodes in ascending order; with `candidates`, only among those; with `limit`,
 * the lowest that many. An empty filter matches every node (or every candidate).
 */
export async function matchingNodeIds(
  tx: Tx,
  kind: NodeKind,
  text: string | undefined,
  options: { candidates?: readonly number[]; limit?: number; visibility?: NodeVisibility } = {},
): Promise<number[]> {
  const compiled = hasFilter(text) ? compileFilter(kind, text) : undefined;
  const table = tx.table(NODE_TABLE[kind]);
  const run = async (chunk?: readonly number[]): Promise<number[]> => {
    const query = compiled ? buildFilteredIdsQuery(tx, compiled) : tx.knex.from({ f: table }).select('f.id');
    if (chunk) query.whereIn('f.id', chunk as number[]);
    whereVisible(tx, query, kind, 'f.id', options.visibility);
    const outer = tx.knex.from(query.as('m')).select('m.id').orderBy('m.id', 'asc');
    if (options.limit !== undefined) outer.limit(options.limit);
    return ((await outer) as { id: number | string }[]).map((r) => Number(r.id));
  };
  if (!options.candidates) return run();
  const unique = [...new Set(options.candidates)];
  const found: number[] = [];
  for (const chunk of chunked(unique, CANDIDATES_PER_STATEMENT)) found.push(...(await run(chunk)));
  found.sort((a, b) => a - b);
  return options.limit !== undefined ? found.slice(0, options.limit) : found;
}
