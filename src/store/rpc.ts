import type { handleUnaryCall } from '@grpc/grpc-js';
import type { MetadataStoreServiceServer } from '../generated/ml_metadata/proto/metadata_store_service';
import type { Tx } from '../database/database';

/** lowerCamel RPC names of ml_metadata.MetadataStoreService, as ts-proto names them. */
export type RpcMethod = Exclude<keyof MetadataStoreServiceServer, number>;

export type RequestOf<M extends RpcMethod> =
  MetadataStoreServiceServer[M] extends handleUnaryCall<infer Req, unknown> ? Req : never;
export type ResponseOf<M extends RpcMethod> =
  // `any` on the request side: with `unknown` the call type's variance makes the match fail (never).
  MetadataStoreServiceServer[M] extends handleUnaryCall<any, infer Res> ? Res : never;

/**
 * One RPC's MLMD semantics. It runs inside the single transaction the store opens for the
 * call, so everything it writes commits or rolls back together.
 */
export type RpcImpl<M extends RpcMethod> = (tx: Tx, request: RequestOf<M>) => Promise<ResponseOf<M>>;

export interface RpcDefinition<M extends RpcMethod> {
  impl: RpcImpl<M>;
  /** Reads run without write locks and are not retried as writes are. */
  readOnly: boolean;
}

/** A group of RPC implementations, one module per area (types, nodes, events, ...). */
export type RpcTable = { [M in RpcMethod]?: RpcDefinition<M> };

export const write = <M extends RpcMethod>(impl: RpcImpl<M>): RpcDefinition<M> => ({ impl, readOnly: false });
export const read = <M extends RpcMethod>(impl: RpcImpl<M>): RpcDefinition<M> => ({ impl, readOnly: true });
