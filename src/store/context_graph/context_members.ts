import type { ListOperationOptions } from '../../generated/ml_metadata/proto/metadata_store';
import type { Tx } from '../../database/database';
import { contextHasMembers, memberIdsOfContext, type MembershipEdge } from '../../repositories/edge_repository';
import { storedIdOf } from '../../repositories/stored_ids';
import { loadArtifacts, loadExecutions } from '../../repositories/node_repository';
import { everythingOrOnePage } from '../paging/everything_or_one_page';
import { listNodeIdPage } from '../paging/list_node_page';
import type { RpcImpl } from '../rpc';
import { readFilterOf } from '../tenancy/call_tenancy';
import { readableIds } from '../tenancy/visible_ids';

interface MemberIdPage {
  ids: number[];
  nextPageToken?: string;
}

/**
 * The ids of a context's artifacts or executions (contract §8.6.4). Without options: every
 * member, ascending id. With options: one page of the members under the options' order and
 * page token; the listing is restricted to the members, so the options can only narrow the
 * set. A context without members answers empty before the options are looked at, as
 * upstream does (so a bad token or filter on an empty context is not reported).
 */
async function memberIdPage(
  tx: Tx,
  edge: MembershipEdge,
  contextId: bigint | undefined,
  options: ListOperationOptions | undefined,
): Promise<MemberIdPage> {
  const context = storedIdOf(contextId ?? 0n);
  if (context === null) return { ids: [] };
  // A context the caller may not see (another namespace's run) has no members; a shared one
  // (a pipeline context, unowned) lists only the members the caller may see.
  if ((await readableIds(tx, 'context', [context])).length === 0) return { ids: [] };
  const visibility = readFilterOf(tx);
  return everythingOrOnePage<MemberIdPage>(options, {
    everything: async () => ({ ids: await memberIdsOfContext(tx, edge, context) }),
    page: async (options) => {
      if (!(await contextHasMembers(tx, edge, context))) return { ids: [] };
      // Paging and filtering belong to the shared listing; this module only names the candidates.
      return listNodeIdPage(tx, edge === 'Attribution' ? 'Artifact' : 'Execution', options, { memberOf: { edge, contextId: context }, visibility });
    },
  });
}

export const getArtifactsByContext: RpcImpl<'getArtifactsByContext'> = async (tx, request) => {
  const page = await memberIdPage(tx, 'Attribution', request.contextId, request.options);
  const artifacts = await loadArtifacts(tx, page.ids, readFilterOf(tx));
  return page.nextPageToken === undefined ? { artifacts } : { artifacts, nextPageToken: page.nextPageToken };
};

export const getExecutionsByContext: RpcImpl<'getExecutionsByContext'> = async (tx, request) => {
  const page = await memberIdPage(tx, 'Association', request.contextId, request.options);
  const executions = await loadExecutions(tx, page.ids, readFilterOf(tx));
  return page.nextPageToken === undefined ? { executions } : { executions, nextPageToken: page.nextPageToken };
};
