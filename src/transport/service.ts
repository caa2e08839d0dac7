import type { handleUnaryCall, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import {
  MetadataStoreServiceService,
  type MetadataStoreServiceServer,
} from '../generated/ml_metadata/proto/metadata_store_service';
import type { Logger } from '../observability/logger';
import type { MetadataStore } from '../store/metadata_store';
import { rpcWireName, type RpcMethod } from '../store/rpc';
import { callCancellation } from './call_cancellation';
import { dropWebCallId, type CallScoping } from './call_scoping';
import type { WebCallRegistry } from './web/web_call_registry';
import { toServiceError } from './error_status';

/** The store as the transport sees it: one entry point for every RPC. */
export type RpcDispatcher = Pick<MetadataStore, 'call'>;

/** Every RPC of ml_metadata.MetadataStoreService, from the generated service definition. */
export const MLMD_RPC_METHODS = Object.keys(MetadataStoreServiceService) as RpcMethod[];

/** RPCs that write: the caller's writable namespaces are decided for them. */
const WRITE_RPC = /^(Put|Delete)/;

/**
 * The grpc-js implementation of all 52 RPCs. Each handler only hands the decoded request to
 * the store; RPCs the store does not implement come back as UNIMPLEMENTED naming the RPC
 * (the store raises that), every failure is mapped to a status in toServiceError. With
 * tenancy on, the caller's scope is decided first and handed to the store with the request.
 */
export function metadataStoreService(
  store: RpcDispatcher,
  logger?: Logger,
  tenancy?: CallScoping,
  webCalls?: WebCallRegistry,
): MetadataStoreServiceServer {
  const service: Record<string, handleUnaryCall<unknown, unknown>> = {};
  for (const method of MLMD_RPC_METHODS) {
    const rpc = rpcWireName(method);
    const write = WRITE_RPC.test(rpc);
    service[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      let pending: Promise<unknown>;
      const cancellation = callCancellation(call);
      try {
        if (tenancy) {
          pending = tenancy
            .scopeFor(rpc, write, call)
            .then((scope) => store.call(method, call.request as never, { signal: cancellation.signal, tenancy: scope }));
        } else {
          dropWebCallId(call, webCalls);
          pending = store.call(method, call.request as never, { signal: cancellation.signal });
        }
      } catch (e) {
        pending = Promise.reject(e);
      }
      pending.then(
        (response) => {
          cancellation.done();
          callback(null, response);
        },
        (error: unknown) => {
          cancellation.done();
          callback(toServiceError(error, rpc, logger));
        },
      );
    };
  }
  return service as MetadataStoreServiceServer;
}
