import { MetadataStoreServiceService } from '../generated/ml_metadata/proto/metadata_store_service';
import type { CallOptions } from './metadata_store';
import type { RequestOf, ResponseOf, RpcMethod } from './rpc';

/**
 * A store that can answer with the response already in its protobuf wire encoding. The SQLite
 * store threads (src/threads/) do: a thread encodes the response it computed and hands the
 * main thread bytes, which cross the thread boundary as one transferred buffer, instead of an
 * object graph that the boundary clones field by field and the main thread then encodes
 * again. For 200 events that clone took about 550 µs against 90 µs for the encoding.
 */
export interface WireEncodingDispatcher {
  /** The response, or its wire encoding as `MetadataStoreServiceService[method]` serialises it. */
  callForWire<M extends RpcMethod>(method: M, request: RequestOf<M>, options?: CallOptions): Promise<ResponseOf<M> | Uint8Array>;
}

/** The wire encoding of `response`, in a buffer of its own (so it can be transferred). */
export function encodeResponse<M extends RpcMethod>(method: M, response: ResponseOf<M>): Uint8Array {
  const serialize = MetadataStoreServiceService[method].responseSerialize as (value: ResponseOf<M>) => Buffer;
  // A Buffer may sit in Node's shared pool, which must not be transferred: copy the bytes out.
  return new Uint8Array(serialize(response));
}
