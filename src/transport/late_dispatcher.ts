import { unavailable } from '../errors';
import type { CallOptions } from '../store/metadata_store';
import type { RequestOf, ResponseOf, RpcMethod } from '../store/rpc';
import { decodeRequest } from '../store/wire_encoded';
import type { PurgeHooks, PurgeRequest, PurgeResult } from '../store/retention/purge';
import type { PurgeDispatcher } from './retention_service';
import type { RpcDispatcher } from './service';

/**
 * Stands in for the store while start-up is still waiting for the database, so the gRPC port
 * (and health, NOT_SERVING) can be up before the store exists: calls until then fail
 * UNAVAILABLE, which clients retry; from `ready` on they go to the store.
 */
export class LateDispatcher implements RpcDispatcher {
  private store: RpcDispatcher | undefined;

  ready(store: RpcDispatcher): void {
    this.store = store;
  }

  call<M extends RpcMethod>(method: M, request: RequestOf<M>, options?: CallOptions): Promise<ResponseOf<M>> {
    if (!this.store) {
      return Promise.reject(unavailable('The server is starting and waiting for its metadata database; retry shortly.'));
    }
    return this.store.call(method, request, options);
  }

  callForWire<M extends RpcMethod>(method: M, request: RequestOf<M> | Uint8Array, options?: CallOptions): Promise<ResponseOf<M> | Uint8Array> {
    if (this.store?.callForWire) return this.store.callForWire(method, request, options);
    try {
      return this.call(method, decodeRequest(method, request), options);
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

/** The purge's stand-in while start-up waits for the database, as LateDispatcher is the store's. */
export class LatePurger implements PurgeDispatcher {
  private purger: PurgeDispatcher | undefined;

  ready(purger: PurgeDispatcher): void {
    this.purger = purger;
  }

  purge(request: PurgeRequest, hooks?: PurgeHooks): Promise<PurgeResult> {
    if (!this.purger) {
      return Promise.reject(unavailable('The server is starting and waiting for its metadata database; retry shortly.'));
    }
    return this.purger.purge(request, hooks);
  }
}
