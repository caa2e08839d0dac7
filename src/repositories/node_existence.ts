import type { Tx } from '../database/database';
import { MAX_IDS_PER_STATEMENT, chunked } from './chunked';
import type { NodeTableName } from './node_kind';

/**
 * Ids on the wire are int64; stored ids are far below 2^53. An id outside the safe-integer
 * range (or below 1) cannot name a stored row, so callers treat it as "does not exist"
 * rather than letting a lossy Number() conversion alias it onto a real row.
 */
export function storedIdOf(id: bigint): number | null {
  if (id < 1n || id > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(id);
}


export type ExistingNodeIds = Record<NodeTableName, Set<number>>;

/**
 * Which of the given ids exist in each node table. All three lookups share one
 * UNION ALL statement (per chunk of ids), so validating a request's references costs one
 * round trip however many nodes it names.
 */
export async function existingNodeIds(
  tx: Tx,
  wanted: Partial<Record<NodeTableName, Iterable<number>>>,
): Promise<ExistingNodeIds> {
  const found: ExistingNodeIds = { Artifact: new Set(), Execution: new Set(), Context: new Set() };
  const pairs: [NodeTableName, number][] = [];
  for (const table of ['Artifact', 'Execution', 'Context'] as const) {
    for (const id of new Set(wanted[table] ?? [])) pairs.push([table, id]);
  }
  for (const chunk of chunked(pairs, MAX_IDS_PER_STATEMENT)) {
    const byTable = new Map<NodeTableName, number[]>();
    for (const [table, id] of chunk) {
      const ids = byTable.get(table) ?? [];
      ids.push(id);
      byTable.set(table, ids);
    }
    const selects = [...byTable].map(([table, ids]) =>
      tx.knex
        .from(tx.table(table))
        // The label is one of three constants of ours, so it is inlined: PostgreSQL cannot
        // infer a type for a bare bound parameter in a select list.
        .select(tx.knex.raw(`'${table}' AS ??`, ['node_table']), 'id')
        .whereIn('id', ids),
    );
    const [first, ...rest] = selects;
    const query = rest.length > 0 ? first.unionAll(rest) : first;
    const rows = (await query) as { node_table: NodeTableName; id: number | string }[];
    for (const row of rows) found[row.node_table].add(Number(row.id));
  }
  return found;
}
