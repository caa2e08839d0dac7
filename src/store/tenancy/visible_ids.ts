import type { Tx } from '../../database/database';
import { visibleNodeIds } from '../../repositories/node_namespace_repository';
import type { NodeKind } from '../../repositories/node_kind';
import { readFilterOf } from './call_tenancy';

/**
 * The ids among `ids` the call may read, in their order: `ids` itself (no statement) unless
 * enforce restricts the caller, then one statement. For reads that start from named nodes
 * (a context's members, a node's contexts) and must treat an invisible one as absent.
 */
export async function readableIds(tx: Tx, kind: NodeKind, ids: readonly number[]): Promise<number[]> {
  const filter = readFilterOf(tx);
  if (!filter || ids.length === 0) return [...ids];
  const visible = await visibleNodeIds(tx, kind, ids, filter);
  return ids.filter((id) => visible.has(id));
}
