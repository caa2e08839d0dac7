import type { Tx } from '../../database/database';
import type { ListOperationOptions } from '../../generated/ml_metadata/proto/metadata_store';
import { allNodes, type NodeMessages } from '../../repositories/node_repository';
import type { NodeKind } from '../../repositories/node_kind';
import { everythingOrOnePage } from '../paging/everything_or_one_page';
import { listNodePage } from '../paging/list_node_page';
import { read, type RpcTable } from '../rpc';
import { readFilterOf } from '../tenancy/call_tenancy';

/**
 * GetArtifacts / GetExecutions / GetContexts. Without options upstream returns every node in
 * one response (the Python client relies on it); with options, one page under
 * ListOperationOptions, the token present only when another page exists.
 */
async function listAll<K extends NodeKind>(
  tx: Tx,
  kind: K,
  options: ListOperationOptions | undefined,
): Promise<{ nodes: NodeMessages[K][]; nextPageToken?: string }> {
  const visibility = readFilterOf(tx);
  return everythingOrOnePage<{ nodes: NodeMessages[K][]; nextPageToken?: string }>(options, {
    everything: async () => ({ nodes: await allNodes(tx, kind, visibility) }),
    page: (options) => listNodePage(tx, kind, options, { visibility }),
  });
}

export const listAllRpcs: RpcTable = {
  getArtifacts: read<'getArtifacts'>(async (tx, req) => {
    const { nodes, nextPageToken } = await listAll(tx, 'artifact', req.options);
    return { artifacts: nodes, nextPageToken };
  }),
  getExecutions: read<'getExecutions'>(async (tx, req) => {
    const { nodes, nextPageToken } = await listAll(tx, 'execution', req.options);
    return { executions: nodes, nextPageToken };
  }),
  getContexts: read<'getContexts'>(async (tx, req) => {
    const { nodes, nextPageToken } = await listAll(tx, 'context', req.options);
    return { contexts: nodes, nextPageToken };
  }),
};
