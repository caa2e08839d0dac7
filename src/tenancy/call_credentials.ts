/** Which listener a call arrived on: the native gRPC port, or the gRPC-web/JSON port. */
export type Listener = 'grpc' | 'web';

/**
 * What the identity layer may read of one call, whichever listener it came through. The
 * transport fills it from grpc-js (metadata, peer, TLS auth context) or, for the gRPC-web
 * bridge, from the HTTP request the call was made from.
 */
export interface CallCredentials {
  readonly listener: Listener;
  /** A request header by lower-case name (the first value when repeated); undefined when absent. */
  header(name: string): string | undefined;
  /** The client's IP address (no port), as the socket saw it. */
  readonly peerAddress: string | undefined;
  /** URI SANs of the client certificate our own TLS listener verified; empty without one. */
  readonly verifiedPeerUris: readonly string[];
}
