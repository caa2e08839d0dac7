import type { Context } from '../../generated/ml_metadata/proto/metadata_store';
import type { Tx } from '../../database/database';
import { childLinksOfParents, parentLinksOfChildren } from '../../repositories/edge_repository';
import { storedIdOf } from '../../repositories/stored_ids';
import { loadContexts } from '../../repositories/node_repository';
import { invalidArgument } from '../../errors';
import type { RpcImpl } from '../rpc';
import { readFilterOf } from '../tenancy/call_tenancy';
import { readableIds } from '../tenancy/visible_ids';

type Direction = 'parents' | 'children';

/**
 * The direct parents or children (no transitive closure) of each of `contextIds`, each
 * list ascending by id; contexts with none are absent from the result. Two statements
 * whatever the number of contexts: the links, then the linked contexts hydrated.
 */
async function relatedContexts(tx: Tx, direction: Direction, contextIds: readonly number[]): Promise<Map<number, Context[]>> {
  const related = new Map<number, Context[]>();
  // Contexts the caller may not see have no parents or children; invisible relatives are dropped.
  const visibleIds = await readableIds(tx, 'context', contextIds);
  if (visibleIds.length === 0) return related;
  const links =
    direction === 'parents' ? await parentLinksOfChildren(tx, visibleIds) : await childLinksOfParents(tx, visibleIds);
  const pairs = links.map((l) => (direction === 'parents' ? { from: l.childId, to: l.parentId } : { from: l.parentId, to: l.childId }));
  const contexts = await loadContexts(
    tx,
    pairs.map((p) => p.to),
    readFilterOf(tx),
  );
  const byId = new Map(contexts.map((c) => [Number(c.id), c]));
  pairs.sort((a, b) => a.to - b.to);
  for (const { from, to } of pairs) {
    const context = byId.get(to);
    if (context === undefined) continue;
    const list = related.get(from) ?? [];
    list.push(context);
    related.set(from, list);
  }
  return related;
}

function singleId(id: bigint | undefined): number[] {
  const stored = storedIdOf(id ?? 0n);
  return stored === null ? [] : [stored];
}

/** GetParentContextsByContext (contract §8.6.5): direct parents; none or unknown -> empty. */
export const getParentContextsByContext: RpcImpl<'getParentContextsByContext'> = async (tx, request) => {
  const ids = singleId(request.contextId);
  return { contexts: (await relatedContexts(tx, 'parents', ids)).get(ids[0]) ?? [] };
};

/** GetChildrenContextsByContext (contract §8.6.5): direct children; none or unknown -> empty. */
export const getChildrenContextsByContext: RpcImpl<'getChildrenContextsByContext'> = async (tx, request) => {
  const ids = singleId(request.contextId);
  return { contexts: (await relatedContexts(tx, 'children', ids)).get(ids[0]) ?? [] };
};

/**
 * The requested ids that can name a stored context, keyed back to the id as requested.
 * An empty list is INVALID_ARGUMENT (upstream's library; its gRPC server does not serve
 * the batch reads at all).
 */
function batchIds(contextIds: readonly bigint[] | undefined): Map<number, bigint> {
  if (!contextIds || contextIds.length === 0) throw invalidArgument('Given context_ids is empty.');
  const ids = new Map<number, bigint>();
  for (const id of contextIds) {
    const stored = storedIdOf(id);
    if (stored !== null) ids.set(stored, id);
  }
  return ids;
}

/** GetParentContextsByContexts (contract §8.6.6): an entry only for contexts with parents. */
export const getParentContextsByContexts: RpcImpl<'getParentContextsByContexts'> = async (tx, request) => {
  const ids = batchIds(request.contextIds);
  const related = await relatedContexts(tx, 'parents', [...ids.keys()]);
  const contexts = new Map([...related].map(([id, list]) => [ids.get(id)!, { parentContexts: list }]));
  return { contexts };
};

/** GetChildrenContextsByContexts (contract §8.6.6): an entry only for contexts with children. */
export const getChildrenContextsByContexts: RpcImpl<'getChildrenContextsByContexts'> = async (tx, request) => {
  const ids = batchIds(request.contextIds);
  const related = await relatedContexts(tx, 'children', [...ids.keys()]);
  const contexts = new Map([...related].map(([id, list]) => [ids.get(id)!, { childrenContexts: list }]));
  return { contexts };
};
