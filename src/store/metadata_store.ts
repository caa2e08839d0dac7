import type { Database } from '../database/database';
import { unimplemented } from '../errors';
import { rpcWireName, type RequestOf, type ResponseOf, type RpcDefinition, type RpcMethod, type RpcTable } from './rpc';
import { rpcRegistry } from './rpc_registry';

/**
 * MLMD semantics over one database: each call is one transaction (retried by the database
 * layer on deadlocks), dispatched to the implementation registered for the RPC.
 */
export class MetadataStore {
  constructor(
    readonly db: Database,
    private readonly rpcs: RpcTable = rpcRegistry,
  ) {}

  async call<M extends RpcMethod>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    const definition = this.rpcs[method] as RpcDefinition<M> | undefined;
    if (!definition) {
      throw unimplemented(`${rpcWireName(method)} is not implemented.`);
    }
    // Rows written are tallied on the transaction and reported by the database layer on commit.
    return this.db.transaction((tx) => definition.impl(tx, request), { readOnly: definition.readOnly });
  }
}
