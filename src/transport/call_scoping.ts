import type { ServerUnaryCall } from '@grpc/grpc-js';
import { MlmdError, StatusCode } from '../errors';
import type { TenancyScope } from '../store/tenancy/tenancy_scope';
import type { CallCredentials, TenancyGate } from '../tenancy';
import { uriSans } from '../tenancy/spiffe_id';
import type { WebCallFacts, WebCallRegistry } from './web/web_call_registry';

/** A TLS peer certificate as grpc-js's auth context exposes it (only once verified). */
interface PeerCertificate {
  subjectaltname?: string;
}

/**
 * The transport's side of tenancy: per call, the credentials the identity layer may read, from
 * the native call (its metadata, peer address, verified client certificate) or from the HTTP
 * request the gRPC-web bridge made it for, and the scope the gate decides for them.
 */
export class CallScoping {
  constructor(
    private readonly gate: TenancyGate,
    private readonly webCalls: WebCallRegistry | undefined,
  ) {}

  /** `write`: the RPC writes, so its writable namespaces are needed. Throws UNAUTHENTICATED / UNAVAILABLE / INVALID_ARGUMENT. */
  scopeFor(rpc: string, write: boolean, call: ServerUnaryCall<unknown, unknown>): Promise<TenancyScope> {
    const web = this.webCalls?.take(call.metadata);
    return this.gate.scopeFor(rpc, write, web ? webCredentials(web) : nativeCredentials(call));
  }
}

/**
 * For RPCs that act across namespaces (RetentionService's purges): only a caller whose scope
 * filters nothing (a system principal, or an anonymous caller the listener allows as today)
 * may run them. Others are refused PERMISSION_DENIED in enforce mode, and reported in audit mode.
 */
export function requireUnfilteredScope(scope: TenancyScope, rpc: string): void {
  if (scope.readable === 'all' && scope.writable === 'all') return;
  scope.onDenial?.({ rpc, reason: 'foreign_write', count: 1 });
  if (scope.mode === 'enforce') {
    throw new MlmdError(StatusCode.PERMISSION_DENIED, `${rpc} deletes across namespaces; with --tenancy=enforce only system principals may call it.`);
  }
}

/** Removes the bridge's id from a call's metadata when tenancy is off (a handler never sees it). */
export function dropWebCallId(call: ServerUnaryCall<unknown, unknown>, webCalls: WebCallRegistry | undefined): void {
  webCalls?.take(call.metadata);
}

function webCredentials(facts: WebCallFacts): CallCredentials {
  return {
    listener: 'web',
    header: (name) => {
      const v = facts.headers[name];
      return Array.isArray(v) ? v[0] : v;
    },
    peerAddress: facts.peerAddress,
    // The web port is cleartext: TLS, if any, ended in front of it.
    verifiedPeerUris: [],
  };
}

function nativeCredentials(call: ServerUnaryCall<unknown, unknown>): CallCredentials {
  const certificate = call.getAuthContext?.().sslPeerCertificate as PeerCertificate | undefined;
  return {
    listener: 'grpc',
    header: (name) => {
      const v = call.metadata.get(name)[0];
      return typeof v === 'string' ? v : undefined;
    },
    peerAddress: addressOf(call.getPeer()),
    verifiedPeerUris: uriSans(certificate?.subjectaltname),
  };
}

/** The IP of grpc-js's peer string ("1.2.3.4:5678", "[::1]:5678", "ipv4:…" in some versions). */
export function addressOf(peer: string): string | undefined {
  const p = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(p);
  if (bracketed) return bracketed[1];
  const v4 = /^(\d+\.\d+\.\d+\.\d+)(?::\d+)?$/.exec(p);
  return v4 ? v4[1] : undefined;
}
