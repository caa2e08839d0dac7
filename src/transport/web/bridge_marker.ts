import { randomBytes } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';

/** How a call reached the server: native gRPC, or through the HTTP bridge. */
export type CallProtocol = 'grpc' | 'grpc-web' | 'json';

/**
 * The header with which the bridge tells the interceptors a call's protocol and the real
 * client address (its own calls arrive over an in-process connection). It carries a random
 * per-process secret, so a gRPC client cannot forge it; the interceptors remove it before
 * the handler, and the bridge never forwards a client's header of this name.
 */
export const BRIDGE_HEADER = 'x-mlmd-bridge';
const SECRET = randomBytes(18).toString('base64url');

export interface BridgedCall {
  protocol: CallProtocol;
  peer: string;
}

export function bridgeHeaderValue(call: BridgedCall): string {
  return `${SECRET} ${call.protocol} ${call.peer}`;
}

/**
 * Reads and removes the bridge header from request metadata: what the bridge said about the
 * call, or undefined for a call from the network (including one that sent a forged header).
 */
export function takeBridgedCall(metadata: Metadata): BridgedCall | undefined {
  const values = metadata.get(BRIDGE_HEADER);
  if (values.length === 0) return undefined;
  metadata.remove(BRIDGE_HEADER);
  if (values.length !== 1 || typeof values[0] !== 'string') return undefined;
  const [secret, protocol, ...peer] = values[0].split(' ');
  if (secret !== SECRET || (protocol !== 'grpc-web' && protocol !== 'json')) return undefined;
  return { protocol, peer: peer.join(' ') };
}
