import type { Knex } from 'knex';
import type { ListOperationOptions } from '../../generated/ml_metadata/proto/metadata_store';
import type { Tx } from '../../database/database';
import { filterRestriction } from '../../filter';
import { kindOfNodeTable, type NodeTableName } from '../../repositories/node_kind';
import { applyPage, finishPage, pageRequestFrom, type PageRow } from './list_page';


/** Narrows the candidate rows; receives the query with the node table aliased as `n`. */
export type Restriction = (query: Knex.QueryBuilder) => void;

export interface NodeIdPage {
  ids: number[];
  nextPageToken?: string;
}

/**
 * One page of node ids under ListOperationOptions (order, size, token and filter_query), in
 * the requested order: one statement; hydration is the caller's, by id.
 */
export async function listNodeIdPage(
  tx: Tx,
  table: NodeTableName,
  options: ListOperationOptions,
  restrictions: Restriction[] = [],
): Promise<NodeIdPage> {
  const page = pageRequestFrom(options);
  // Compiled (and so validated) before any statement runs: a bad filter is INVALID_ARGUMENT.
  const filter = filterRestriction(tx, kindOfNodeTable(table), options.filterQuery);
  const query = tx.knex
    .from({ n: tx.table(table) })
    .select('n.id', 'n.create_time_since_epoch', 'n.last_update_time_since_epoch');
  for (const restrict of restrictions) restrict(query);
  filter?.(query);
  applyPage(query, page, (column) => `n.${column}`);
  const rows = ((await query) as PageRow[]).map((r) => ({
    id: Number(r.id),
    create_time_since_epoch: Number(r.create_time_since_epoch),
    last_update_time_since_epoch: Number(r.last_update_time_since_epoch),
  }));
  const finished = finishPage(rows, page);
  return { ids: finished.rows.map((r) => r.id), nextPageToken: finished.nextPageToken };
}
