import { MlmdError, StatusCode } from '../errors';
import { MetadataStoreServiceService } from '../generated/ml_metadata/proto/metadata_store_service';
import type { CallOptions } from './metadata_store';
import type { RequestOf, ResponseOf, RpcMethod } from './rpc';

/**
 * A store that can answer with the response already in its protobuf wire encoding. The SQLite
 * store threads (src/threads/) do: a thread encodes the response it computed and hands the
 * main thread bytes, which cross the thread boundary as one transferred buffer, instead of an
 * object graph that the boundary clones field by field and the main thread then encodes
 * again. For 200 events that clone took about 550 µs against 90 µs for the encoding. Requests
 * cross the same way (decodeRequest).
 */
export interface WireEncodingDispatcher {
  /**
   * The response, or its wire encoding as `MetadataStoreServiceService[method]` serialises it.
   * The request may be its wire encoding too (bytes the dispatcher may transfer): it is then
   * decoded where the call runs, so a thread decodes its own request.
   */
  callForWire<M extends RpcMethod>(method: M, request: RequestOf<M> | Uint8Array, options?: CallOptions): Promise<ResponseOf<M> | Uint8Array>;
}

/**
 * A request from its wire encoding. A message that does not decode fails as grpc-js fails it
 * when it decodes requests itself: INTERNAL, "Error deserializing request".
 */
export function decodeRequest<M extends RpcMethod>(method: M, request: RequestOf<M> | Uint8Array): RequestOf<M> {
  if (!(request instanceof Uint8Array)) return request;
  try {
    return MetadataStoreServiceService[method].requestDeserialize(Buffer.from(request.buffer, request.byteOffset, request.byteLength)) as RequestOf<M>;
  } catch {
    throw new MlmdError(StatusCode.INTERNAL, 'Error deserializing request');
  }
}

/** The wire encoding of `response`, in a buffer of its own (so it can be transferred). */
export function encodeResponse<M extends RpcMethod>(method: M, response: ResponseOf<M>): Uint8Array {
  const serialize = MetadataStoreServiceService[method].responseSerialize as (value: ResponseOf<M>) => Buffer;
  // A Buffer may sit in Node's shared pool, which must not be transferred: copy the bytes out.
  return new Uint8Array(serialize(response));
}
