import { GrpcWebClientBase, MethodDescriptor, RpcError, type Metadata } from 'grpc-web';
// xhr2 ships no type declarations.
const XMLHttpRequestPolyfill: unknown = require('xhr2');
import { MetadataStoreServiceService } from '../../../src/generated/ml_metadata/proto/metadata_store_service';
import type { RpcMethod } from '../../../src/store/rpc';

// The grpc-web runtime calls through XMLHttpRequest, as in the browser; Node has none.
(globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest ??= XMLHttpRequestPolyfill;

type Definition = {
  path: string;
  requestSerialize: (value: unknown) => Buffer;
  responseDeserialize: (bytes: Buffer) => unknown;
};

/**
 * A MethodDescriptor of the grpc-web runtime for one of our RPCs, over our ts-proto
 * messages (what protoc-gen-grpc-web would generate over google-protobuf ones): the
 * serializer and parser are the generated service definition's own.
 */
export function methodDescriptor(method: RpcMethod): MethodDescriptor<unknown, unknown> {
  const definition = (MetadataStoreServiceService as unknown as Record<string, Definition>)[method];
  const Message = Object as unknown as new () => unknown;
  return new MethodDescriptor(
    definition.path,
    'unary',
    Message,
    Message,
    (request: unknown) => new Uint8Array(definition.requestSerialize(request)),
    (bytes: Uint8Array) => definition.responseDeserialize(Buffer.from(bytes)),
  );
}

export type WebOutcome = { ok: true; response: unknown } | { ok: false; code: number; details: string };

/** The grpc-web runtime's client, as Kubeflow's UI builds it, in binary or text mode. */
export function grpcWebClient(port: number, format: 'binary' | 'text') {
  const client = new GrpcWebClientBase({ format });
  const base = `http://127.0.0.1:${port}`;
  return {
    call(method: RpcMethod, request: unknown, metadata: Metadata = {}): Promise<WebOutcome> {
      const descriptor = methodDescriptor(method);
      return client.unaryCall(`${base}${descriptor.getName()}`, request, metadata, descriptor).then(
        (response) => ({ ok: true as const, response }),
        (error: RpcError) => ({ ok: false as const, code: error.code, details: error.message }),
      );
    },
  };
}
