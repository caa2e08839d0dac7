import type { ListOperationOptions } from '../../generated/ml_metadata/proto/metadata_store';
import type { Tx } from '../../database/database';
import { kindOfNodeTable, type NodeKind, type NodeTableName } from '../../repositories/node_kind';
import { prepareNodePage, type NodeCandidates, type PreparedNodePage } from '../../repositories/node_page_repository';
import type { NodeMessages } from '../../repositories/node_row';
import { finishPage, pageQueryOf, pageRequestFrom, type PageRequest } from './list_page';

export interface NodeIdPage {
  ids: number[];
  nextPageToken?: string;
}

export interface NodePage<K extends NodeKind> {
  nodes: NodeMessages[K][];
  nextPageToken?: string;
}

function prepare<K extends NodeKind>(tx: Tx, kind: K, options: ListOperationOptions, candidates: Omit<NodeCandidates, 'filterQuery'>): { page: PageRequest; statement: PreparedNodePage<K> } {
  const page = pageRequestFrom(options);
  return { page, statement: prepareNodePage(tx, kind, pageQueryOf(page), { ...candidates, filterQuery: options.filterQuery }) };
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
  const { page, statement } = prepare(tx, kindOfNodeTable(table), options, candidates);
  const finished = finishPage(await statement.rows(), page);
  return { ids: finished.rows.map((r) => r.id), nextPageToken: finished.nextPageToken };
}

/**
 * One page of hydrated nodes under ListOperationOptions, among `candidates`: one statement,
 * the unit's only one, so with tenancy off the read needs no transaction.
 *
 * Upstream answers an empty candidate set (a type or context without nodes) before it looks at
 * the options, so a bad token or filter there is not reported. `isEmpty` asks that question,
 * but only when the options are bad: valid options over an empty set give an empty page
 * anyway, and the common call costs no probe.
 */
export async function listNodePage<K extends NodeKind>(
  tx: Tx,
  kind: K,
  options: ListOperationOptions,
  candidates: Omit<NodeCandidates, 'filterQuery'> = {},
  isEmpty?: () => Promise<boolean>,
): Promise<NodePage<K>> {
  let prepared: ReturnType<typeof prepare<K>>;
  try {
    prepared = prepare(tx, kind, options, candidates);
  } catch (error) {
    if (isEmpty && (await isEmpty())) return { nodes: [] };
    throw error;
  }
  tx.soleStatementNext();
  const nodes = await prepared.statement.nodes();
  const rows = nodes.map((n) => ({
    id: Number(n.id),
    create_time_since_epoch: Number(n.createTimeSinceEpoch ?? 0n),
    last_update_time_since_epoch: Number(n.lastUpdateTimeSinceEpoch ?? 0n),
  }));
  const finished = finishPage(rows, prepared.page);
  return { nodes: nodes.slice(0, finished.rows.length), nextPageToken: finished.nextPageToken };
}
