import { MetadataStoreServiceService } from '../generated/ml_metadata/proto/metadata_store_service';
import type { Tx } from '../database/database';

type Service = typeof MetadataStoreServiceService;

/**
 * lowerCamel RPC names of ml_metadata.MetadataStoreService, as ts-proto names them. Taken from
 * the service definition object (not the server interface, whose string index signature would
 * let a misspelt name such as `getArtifactsByID` compile with `never` types).
 */
export type RpcMethod = keyof Service;

/**
 * Upstream's RPC name ("GetArtifactsByID") for a ts-proto method name ("getArtifactsById"),
 * read from the method path: ts-proto camel-cases acronyms, so capitalising is not enough.
 */
export function rpcWireName(method: RpcMethod): string {
  const path = MetadataStoreServiceService[method].path;
  return path.slice(path.lastIndexOf('/') + 1);
}

export type RequestOf<M extends RpcMethod> = ReturnType<Service[M]['requestDeserialize']>;
export type ResponseOf<M extends RpcMethod> = ReturnType<Service[M]['responseDeserialize']>;

/**
 * One RPC's MLMD semantics. It runs inside the single transaction the store opens for the
 * call, so everything it writes commits or rolls back together.
 */
export type RpcImpl<M extends RpcMethod> = (tx: Tx, request: RequestOf<M>) => Promise<ResponseOf<M>>;

export interface RpcDefinition<M extends RpcMethod> {
  impl: RpcImpl<M>;
  /**
   * Reads run in a read-only transaction on one snapshot and are never re-run on write
   * conflicts (TransactionOptions.readOnly); writes may be re-run on deadlocks and lost races.
   */
  readOnly: boolean;
  /** A check-then-write serialised by a lock (type creation): see TransactionOptions.checksUnderLock. */
  checksUnderLock?: boolean;
}

/** A group of RPC implementations, one module per area (types, nodes, events, ...). */
export type RpcTable = { [M in RpcMethod]?: RpcDefinition<M> };

export const write = <M extends RpcMethod>(impl: RpcImpl<M>): RpcDefinition<M> => ({ impl, readOnly: false });
/** A write whose check-then-write is serialised by a lock (type_write_lock.ts). */
export const lockedWrite = <M extends RpcMethod>(impl: RpcImpl<M>): RpcDefinition<M> => ({ impl, readOnly: false, checksUnderLock: true });
export const read = <M extends RpcMethod>(impl: RpcImpl<M>): RpcDefinition<M> => ({ impl, readOnly: true });
