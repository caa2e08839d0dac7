import type { Database } from '../database/database';
import { MetadataStoreServiceService } from '../generated/ml_metadata/proto/metadata_store_service';
import { countRowsWhenCommitted } from '../observability/rows_written';
import { unimplemented } from '../errors';
import type { RequestOf, ResponseOf, RpcDefinition, RpcMethod, RpcTable } from './rpc';
import { rpcRegistry } from './rpc_registry';

/**
 * Upstream's RPC name ("GetArtifactsByID") for a ts-proto method name ("getArtifactsById"),
 * read from the method path: ts-proto camel-cases acronyms, so capitalising is not enough.
 */
export function rpcDisplayName(method: RpcMethod): string {
  const path = (MetadataStoreServiceService as Record<string, { path: string } | undefined>)[method]?.path;
  return path ? path.slice(path.lastIndexOf('/') + 1) : method.charAt(0).toUpperCase() + method.slice(1);
}

/**
 * MLMD semantics over one database: each call is one transaction (retried by the database
 * layer on deadlocks), dispatched to the implementation registered for the RPC.
 */
export class MetadataStore {
  constructor(
    readonly db: Database,
    private readonly rpcs: RpcTable = rpcRegistry,
  ) {}

  implements(method: RpcMethod): boolean {
    return this.rpcs[method] !== undefined;
  }

  async call<M extends RpcMethod>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    const definition = this.rpcs[method] as RpcDefinition<M> | undefined;
    if (!definition) {
      throw unimplemented(`${rpcDisplayName(method)} is not implemented.`);
    }
    const run = () => this.db.transaction((tx) => definition.impl(tx, request), { readOnly: definition.readOnly });
    // Rows written are reported only once the transaction has committed.
    return definition.readOnly ? run() : countRowsWhenCommitted(run);
  }
}
