import { MlmdError, StatusCode } from '../errors';

/**
 * The Kubernetes API could not answer a review or a namespace list. The call fails
 * UNAVAILABLE (retryable, and never served open); the cause goes to the log, not the client.
 */
export class KubernetesApiError extends MlmdError {
  constructor(what: string, cause: unknown) {
    super(StatusCode.UNAVAILABLE, `The Kubernetes API did not answer the ${what} needed to authorize this call; try again later.`);
    this.cause = cause;
  }
}

/** A short description of a client-node failure for the log (its errors carry the HTTP code and body). */
export function describeKubernetesFailure(error: unknown): string {
  const e = error as { code?: number | string; message?: string; body?: unknown };
  const body = typeof e.body === 'string' ? e.body.slice(0, 300) : '';
  return [e.code !== undefined ? `HTTP ${e.code}` : '', e.message ?? String(error), body].filter(Boolean).join(': ');
}
