import { compositeRpcs } from './composite';
import { contextGraphRpcs } from './context_graph';
import { eventRpcs } from './events';
import { lineageRpcs } from './lineage/lineage_rpcs';
import { listAllRpcs } from './listing/list_all_nodes';
import { nodeRpcs } from './nodes/node_rpcs';
import type { RpcTable } from './rpc';
import { typeRpcs } from './types';

/**
 * Every implemented RPC, gathered from the per-area modules. An RPC missing here answers
 * UNIMPLEMENTED naming itself, exactly like upstream's generated base class.
 */
export const rpcRegistry: RpcTable = {
  ...typeRpcs,
  ...nodeRpcs,
  ...eventRpcs,
  ...contextGraphRpcs,
  ...compositeRpcs,
  ...listAllRpcs,
  ...lineageRpcs,
};
