import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Metadata } from '@grpc/grpc-js';

/** What the identity layer needs of the HTTP request a bridged call was made from. */
export interface WebCallFacts {
  /** The HTTP request's headers (lower-case names), credentials included. */
  readonly headers: IncomingHttpHeaders;
  /** The HTTP client's IP address. */
  readonly peerAddress: string | undefined;
}

/** The metadata key that carries a bridged call's id from the bridge to the handler. */
export const WEB_CALL_HEADER = 'x-mlmd-web-call';

/**
 * Hands the HTTP request's credentials (Authorization, kubeflow-userid, …) and client address
 * from the gRPC-web bridge to the handler of the gRPC call it makes, without turning them into
 * gRPC metadata (where large tokens and cookies could trip grpc.max_metadata_size, and any
 * handler could read them). The call carries only a random, single-use id; a native gRPC
 * client that sends the header cannot name a registered call, and is served as native.
 */
export class WebCallRegistry {
  private readonly calls = new Map<string, WebCallFacts>();

  /** Registers a call about to be made; `release` it when the call ends, whether or not a handler took it. */
  register(facts: WebCallFacts): string {
    const id = randomBytes(18).toString('base64url');
    this.calls.set(id, facts);
    return id;
  }

  release(id: string): void {
    this.calls.delete(id);
  }

  /** Reads and removes the id from the metadata: the bridged call's facts, or undefined for a native call. */
  take(metadata: Metadata): WebCallFacts | undefined {
    const values = metadata.get(WEB_CALL_HEADER);
    if (values.length === 0) return undefined;
    metadata.remove(WEB_CALL_HEADER);
    if (values.length !== 1 || typeof values[0] !== 'string') return undefined;
    const facts = this.calls.get(values[0]);
    this.calls.delete(values[0]);
    return facts;
  }

  /** Calls registered and not yet released (tests: nothing may leak). */
  get size(): number {
    return this.calls.size;
  }
}
