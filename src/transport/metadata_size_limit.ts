import { Metadata, ServerInterceptingCall, status as Status, type ServerInterceptor } from '@grpc/grpc-js';

/** RFC 7540 counts 32 octets of overhead per header entry in SETTINGS_MAX_HEADER_LIST_SIZE. */
const ENTRY_OVERHEAD = 32;

/** Request metadata size as HTTP/2 would count it (binary values base64-encoded). */
export function metadataSize(metadata: Metadata): number {
  let size = 0;
  for (const [key, value] of Object.entries(metadata.toJSON())) {
    for (const v of value) {
      const length = typeof v === 'string' ? Buffer.byteLength(v) : Math.ceil(v.length / 3) * 4;
      size += key.length + length + ENTRY_OVERHEAD;
    }
  }
  return size;
}

/**
 * Enforces `grpc.max_metadata_size`, which grpc-js's server does not read: a call whose
 * request metadata is larger ends with RESOURCE_EXHAUSTED before its handler runs. Put it
 * LAST in the server's interceptor list: grpc-js wraps interceptors in list order, so the
 * last is nearest the handler and its status still passes every other interceptor (metrics
 * and logging see the rejected call).
 */
export function metadataSizeLimit(maxBytes: number): ServerInterceptor {
  return (_method, call) => {
    const intercepting: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const size = metadataSize(metadata);
            if (size <= maxBytes) {
              nextMetadata(metadata);
              return;
            }
            intercepting.sendStatus({
              code: Status.RESOURCE_EXHAUSTED,
              details: `request metadata is ${size} bytes, more than grpc.max_metadata_size=${maxBytes}`,
              metadata: new Metadata(),
            });
          },
        });
      },
    });
    return intercepting;
  };
}
