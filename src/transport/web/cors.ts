import type { IncomingHttpHeaders } from 'node:http';

/**
 * Cross-origin access for browsers. Default: none (same-origin pages only). `*` allows any
 * origin, as Kubeflow's Envoy did; otherwise a list of exact origins. The allowed request
 * headers, methods, max-age and exposed headers are those of Kubeflow's Envoy config for
 * metadata-envoy, so its UI behaves as before.
 */
export interface CorsPolicy {
  /** Exact origins ('https://kubeflow.example.com'), or ['*'] for any. */
  allowedOrigins: readonly string[];
}

export const CORS_ALLOW_HEADERS =
  'keep-alive,user-agent,cache-control,content-type,content-transfer-encoding,custom-header-1,' +
  'x-accept-content-transfer-encoding,x-accept-response-streaming,x-user-agent,x-grpc-web,grpc-timeout,x-request-id';
export const CORS_ALLOW_METHODS = 'GET, PUT, DELETE, POST, OPTIONS';
export const CORS_MAX_AGE_SECONDS = '1728000';
export const CORS_EXPOSE_HEADERS = 'grpc-status,grpc-message,x-request-id';

export type OriginVerdict = { kind: 'none' } | { kind: 'same-origin' } | { kind: 'allowed'; origin: string } | { kind: 'refused'; origin: string };

/**
 * Whether a request's Origin may use the service. No Origin (curl, servers, Kubeflow's UI
 * server) and a same-origin page need no CORS headers; a foreign origin needs the
 * allow-list, and a refused one gets 403 rather than a response the browser would only
 * hide: a write would otherwise still have happened.
 */
export function judgeOrigin(policy: CorsPolicy, headers: IncomingHttpHeaders, encrypted: boolean): OriginVerdict {
  const origin = headers.origin;
  if (!origin) return { kind: 'none' };
  const host = headers.host ?? headers[':authority'];
  if (typeof host === 'string' && origin.toLowerCase() === `${encrypted ? 'https' : 'http'}://${host}`.toLowerCase()) {
    return { kind: 'same-origin' };
  }
  if (policy.allowedOrigins.includes('*') || policy.allowedOrigins.includes(origin)) return { kind: 'allowed', origin };
  return { kind: 'refused', origin };
}

/** Headers of an allowed cross-origin response (preflight or actual). */
export function corsResponseHeaders(origin: string, preflight: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': CORS_EXPOSE_HEADERS,
    vary: 'Origin',
  };
  if (preflight) {
    headers['access-control-allow-methods'] = CORS_ALLOW_METHODS;
    headers['access-control-allow-headers'] = CORS_ALLOW_HEADERS;
    headers['access-control-max-age'] = CORS_MAX_AGE_SECONDS;
  }
  return headers;
}
