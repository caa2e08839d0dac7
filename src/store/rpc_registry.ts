import { contextGraphRpcs } from './context_graph';
import { eventRpcs } from './events';
import type { RpcTable } from './rpc';

/**
 * Every implemented RPC, gathered from the per-area modules. An RPC missing here answers
 * UNIMPLEMENTED naming itself, exactly like upstream's generated base class.
 */
export const rpcRegistry: RpcTable = {
  ...eventRpcs,
  ...contextGraphRpcs,
};
