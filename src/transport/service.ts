import type { handleUnaryCall, MethodDefinition, sendUnaryData, ServerUnaryCall, ServiceDefinition } from '@grpc/grpc-js';
import {
  MetadataStoreServiceService,
  type MetadataStoreServiceServer,
} from '../generated/ml_metadata/proto/metadata_store_service';
import type { Logger } from '../observability/logger';
import type { MetadataStore } from '../store/metadata_store';
import { rpcWireName, type RpcMethod } from '../store/rpc';
import { decodeRequest, type WireEncodingDispatcher } from '../store/wire_encoded';
import { callCancellation } from './call_cancellation';
import { dropWebCallId, type CallScoping } from './call_scoping';
import type { WebCallRegistry } from './web/web_call_registry';
import { toServiceError } from './error_status';

/**
 * The store as the transport sees it: one entry point for every RPC, and optionally one that
 * may answer with the response already wire-encoded (the SQLite store threads), which the
 * service definition of `wireService` then sends as it is.
 */
export type RpcDispatcher = Pick<MetadataStore, 'call'> & Partial<WireEncodingDispatcher>;

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
  const dispatch: WireEncodingDispatcher['callForWire'] = store.callForWire
    ? store.callForWire.bind(store)
    : (method, request, options) => store.call(method, decodeRequest(method, request), options);
  for (const method of MLMD_RPC_METHODS) {
    const rpc = rpcWireName(method);
    const write = WRITE_RPC.test(rpc);
    service[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      // The wire encoding (wireService), or a decoded message from a definition without it.
      let pending: Promise<unknown>;
      const cancellation = callCancellation(call);
      try {
        if (tenancy) {
          pending = tenancy
            .scopeFor(rpc, write, call)
            .then((scope) => dispatch(method, call.request as never, { signal: cancellation.signal, tenancy: scope }));
        } else {
          dropWebCallId(call, webCalls);
          pending = dispatch(method, call.request as never, { signal: cancellation.signal });
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

/**
 * MetadataStoreService's definition as the server registers it. Requests reach the handlers
 * as their wire encoding, in a buffer of their own, and are decoded where the call runs
 * (decodeRequest: in a SQLite store thread, or before an in-process store). A response that a
 * handler passes as bytes (from RpcDispatcher.callForWire) is sent as it is; any other response
 * is serialised by the generated code. A decoded message is a plain object, never a
 * Uint8Array, so the two cannot be confused.
 */
export function wireService(definition: ServiceDefinition): ServiceDefinition {
  const wrapped: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    const serialize = method.responseSerialize;
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => new Uint8Array(bytes),
      responseSerialize: (value: unknown) => (value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : serialize(value)),
    };
  }
  return wrapped as ServiceDefinition;
}
