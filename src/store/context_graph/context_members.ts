import type { ListOperationOptions } from '../../generated/ml_metadata/proto/metadata_store';
import type { Tx } from '../../database/database';
import { contextHasMembers } from '../../repositories/edge_repository';
import { storedIdOf } from '../../repositories/stored_ids';
import { membersOfContext, type NodeMessages } from '../../repositories/node_repository';
import { everythingOrOnePage } from '../paging/everything_or_one_page';
import { listNodePage } from '../paging/list_node_page';
import type { RpcImpl } from '../rpc';
import { readFilterOf } from '../tenancy/call_tenancy';
import { readableIds } from '../tenancy/visible_ids';

interface MemberPage<K extends 'artifact' | 'execution'> {
  nodes: NodeMessages[K][];
  nextPageToken?: string;
}

const EDGE = { artifact: 'Attribution', execution: 'Association' } as const;

/**
 * A context's artifacts or executions (contract §8.6.4). Without options: every member,
 * ascending id, read in one statement (nodes, types and properties restricted to the
 * members), so with tenancy off the read needs no transaction. With options: one page of the
 * members under the options' order and page token; the listing is restricted to the members,
 * so the options can only narrow the set. A context without members answers empty before the
 * options are looked at, as upstream does (so a bad token or filter on an empty context is
 * not reported).
 */
async function memberPage<K extends 'artifact' | 'execution'>(
  tx: Tx,
  kind: K,
  contextId: bigint | undefined,
  options: ListOperationOptions | undefined,
): Promise<MemberPage<K>> {
  const context = storedIdOf(contextId ?? 0n);
  if (context === null) return { nodes: [] };
  const visibility = readFilterOf(tx);
  if (options === undefined && !visibility) {
    tx.soleStatementNext();
    return { nodes: await membersOfContext(tx, kind, context) };
  }
  // A context the caller may not see (another namespace's run) has no members; a shared one
  // (a pipeline context, unowned) lists only the members the caller may see.
  if ((await readableIds(tx, 'context', [context])).length === 0) return { nodes: [] };
  const edge = EDGE[kind];
  return everythingOrOnePage<MemberPage<K>>(options, {
    everything: async () => ({ nodes: await membersOfContext(tx, kind, context, visibility) }),
    // Paging and filtering belong to the shared listing; this module only names the candidates.
    // An empty page is the same answer whether or not the context has members.
    page: (options) => listNodePage(tx, kind, options, { memberOf: { edge, contextId: context }, visibility }, async () => !(await contextHasMembers(tx, edge, context))),
  });
}

export const getArtifactsByContext: RpcImpl<'getArtifactsByContext'> = async (tx, request) => {
  const page = await memberPage(tx, 'artifact', request.contextId, request.options);
  return page.nextPageToken === undefined ? { artifacts: page.nodes } : { artifacts: page.nodes, nextPageToken: page.nextPageToken };
};

export const getExecutionsByContext: RpcImpl<'getExecutionsByContext'> = async (tx, request) => {
  const page = await memberPage(tx, 'execution', request.contextId, request.options);
  return page.nextPageToken === undefined ? { executions: page.nodes } : { executions: page.nodes, nextPageToken: page.nextPageToken };
};
