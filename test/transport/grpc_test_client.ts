import { credentials, Metadata, type ChannelCredentials, type ChannelOptions, type ServiceError } from '@grpc/grpc-js';
import { MetadataStoreServiceClient } from '../../src/generated/ml_metadata/proto/metadata_store_service';
import type { RpcMethod } from '../../src/store/rpc';

export type Outcome = { ok: true; response: unknown } | { ok: false; code: number; details: string };

/** A generated MLMD client on 127.0.0.1:port. */
export function mlmdClient(port: number, creds: ChannelCredentials = credentials.createInsecure(), options?: ChannelOptions) {
  return new MetadataStoreServiceClient(`127.0.0.1:${port}`, creds, options);
}

/** Calls one RPC by its ts-proto method name; resolves with the status instead of throwing. */
export function callRpc(
  client: MetadataStoreServiceClient,
  method: RpcMethod,
  request: unknown,
  metadata: Metadata = new Metadata(),
  deadlineMs = 20_000,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const fn = (client as unknown as Record<string, Function>)[method].bind(client);
    fn(request, metadata, { deadline: Date.now() + deadlineMs }, (error: ServiceError | null, response: unknown) =>
      resolve(error ? { ok: false, code: error.code, details: error.details } : { ok: true, response }),
    );
  });
}
