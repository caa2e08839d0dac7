import type { handleUnaryCall, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import {
  MetadataStoreServiceService,
  type MetadataStoreServiceServer,
} from '../generated/ml_metadata/proto/metadata_store_service';
import type { Logger } from '../observability/logger';
import type { MetadataStore } from '../store/metadata_store';
import { rpcWireName, type RpcMethod } from '../store/rpc';
import { toServiceError } from './error_status';

/** The store as the transport sees it: one entry point for every RPC. */
export type RpcDispatcher = Pick<MetadataStore, 'call'>;

/** Every RPC of ml_metadata.MetadataStoreService, from the generated service definition. */
export const MLMD_RPC_METHODS = Object.keys(MetadataStoreServiceService) as RpcMethod[];

/**
 * The grpc-js implementation of all 52 RPCs. Each handler only hands the decoded request to
 * the store; RPCs the store does not implement come back as UNIMPLEMENTED naming the RPC
 * (the store raises that), every failure is mapped to a status in toServiceError.
 */
export function metadataStoreService(store: RpcDispatcher, logger?: Logger): MetadataStoreServiceServer {
  const service: Record<string, handleUnaryCall<unknown, unknown>> = {};
  for (const method of MLMD_RPC_METHODS) {
    const rpc = rpcWireName(method);
    service[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      let pending: Promise<unknown>;
      try {
        pending = store.call(method, call.request as never);
      } catch (e) {
        pending = Promise.reject(e);
      }
      pending.then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(error, rpc, logger)),
      );
    };
  }
  return service as MetadataStoreServiceServer;
}
