import type { Database } from '../database/database';
import { unimplemented } from '../errors';
import { rpcWireName, type RequestOf, type ResponseOf, type RpcDefinition, type RpcMethod, type RpcTable } from './rpc';
import { rpcRegistry } from './rpc_registry';
import { reportHiddenReads } from './tenancy/audit_reads';
import { bindTenancy, CallTenancy } from './tenancy/call_tenancy';
import type { TenancyScope } from './tenancy/tenancy_scope';
import { checkValueSizes } from './values/value_size_limits';

export interface CallOptions {
  signal?: AbortSignal;
  /** The caller's namespace isolation (issue 15); undefined = tenancy off. */
  tenancy?: TenancyScope;
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

  /**
   * `options.signal` is the call's cancellation (client gone, deadline passed): the
   * transaction is rolled back as soon as it fires, and its connection goes back to the pool.
   */
  async call<M extends RpcMethod>(method: M, request: RequestOf<M>, options: CallOptions = {}): Promise<ResponseOf<M>> {
    const definition = this.rpcs[method] as RpcDefinition<M> | undefined;
    if (!definition) {
      throw unimplemented(`${rpcWireName(method)} is not implemented.`);
    }
    // Values the database cannot hold are refused before any SQL (writes only).
    if (!definition.readOnly) checkValueSizes(this.db.dialect, request);
    const scope = options.tenancy;
    const transactionOptions = { readOnly: definition.readOnly, checksUnderLock: definition.checksUnderLock, signal: options.signal };
    // Rows written are tallied on the transaction and reported by the database layer on commit.
    // Tenancy off: the call runs exactly as before, nothing bound, nothing checked.
    if (!scope) return this.db.transaction((tx) => definition.impl(tx, request), transactionOptions);
    // One CallTenancy per attempt: the decisions of an attempt the database layer re-runs are
    // dropped with it, and those of the last attempt are reported once it has settled (a
    // refused write rolls back, and its refusal is still reported).
    let attempt: CallTenancy | undefined;
    try {
      return await this.db.transaction(async (tx) => {
        attempt = new CallTenancy(scope, rpcWireName(method));
        bindTenancy(tx, attempt);
        const response = await definition.impl(tx, request);
        // The audit reads what the answer holds, not what the call read: no common snapshot
        // needed, so a one-statement read stays one statement (and is not re-run framed).
        if (definition.readOnly && scope.mode === 'audit') await tx.unframed(() => reportHiddenReads(tx, attempt!, response));
        return response;
      }, transactionOptions);
    } finally {
      attempt?.flushDenials();
    }
  }
}
