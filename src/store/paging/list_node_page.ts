import type { ListOperationOptions } from '../../generated/ml_metadata/proto/metadata_store';
import type { Tx } from '../../database/database';
import { kindOfNodeTable, type NodeTableName } from '../../repositories/node_kind';
import { nodePageRows, type NodeCandidates } from '../../repositories/node_page_repository';
import { finishPage, pageQueryOf, pageRequestFrom } from './list_page';

export interface NodeIdPage {
  ids: number[];
  nextPageToken?: string;
}

/**
 * One page of node ids under ListOperationOptions (order, size, token and filter_query), in
 * the requested order, among `candidates`: one statement; hydration is the caller's, by id.
 */
export async function listNodeIdPage(
  tx: Tx,
  table: NodeTableName,
  options: ListOperationOptions,
  candidates: Omit<NodeCandidates, 'filterQuery'> = {},
): Promise<NodeIdPage> {
  const page = pageRequestFrom(options);
  const rows = await nodePageRows(tx, kindOfNodeTable(table), pageQueryOf(page), { ...candidates, filterQuery: options.filterQuery });
  const finished = finishPage(rows, page);
  return { ids: finished.rows.map((r) => r.id), nextPageToken: finished.nextPageToken };
}
