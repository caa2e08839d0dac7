import { isMlmdError, StatusCode } from '../errors';
import type { DatabaseConfig, OpenOptions } from './config';
import type { Database } from './database';
import type { DatabaseObserver } from './observer';
import { DatabaseUnreachable, openDatabase } from './open_database';

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
/** Upstream's pause between --metadata_store_connection_retries attempts. */
const ABORTED_DELAY_MS = 200;

export interface StartupRetry {
  /** Keep retrying an unreachable database this long (--db_startup_timeout_seconds); 0 = once. */
  unreachableForMs: number;
  /** Extra attempts while opening answers ABORTED (--metadata_store_connection_retries). */
  abortedRetries: number;
  /** Told before each wait: what failed, which attempt it was, how long until the next. */
  onRetry(attempt: { number: number; delayMs: number; error: Error; reason: 'unreachable' | 'aborted' }): void;
  /** Told once, after the first attempt found the database unreachable. */
  onFirstUnreachable?(error: Error): void;
  /** Stops waiting (shutdown during start-up); the last error is thrown. */
  signal?: AbortSignal;
}

/**
 * Opens the database, waiting for it when it is not up yet: a database pod that starts after
 * the server (or restarts with it) is retried with exponential back-off (0.5 s doubling to
 * 10 s, jittered) until `unreachableForMs` has passed, rather than leaving recovery to
 * Kubernetes' crash back-off. A concurrent schema initialisation (ABORTED) is retried as
 * upstream does. Any other failure (credentials, schema version) is final at once.
 */
export async function openWhenReachable(
  config: DatabaseConfig,
  options: OpenOptions,
  observer: DatabaseObserver | undefined,
  retry: StartupRetry,
): Promise<Database> {
  const giveUpAt = Date.now() + retry.unreachableForMs;
  let abortedAttempts = 0;
  let delayMs = FIRST_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await openDatabase(config, options, observer);
    } catch (e) {
      if (retry.signal?.aborted) throw e;
      let wait: number;
      let reason: 'unreachable' | 'aborted';
      if (e instanceof DatabaseUnreachable) {
        if (attempt === 1) retry.onFirstUnreachable?.(e);
        const left = giveUpAt - Date.now();
        if (left <= 0) throw e;
        wait = Math.min(left, delayMs / 2 + Math.random() * (delayMs / 2));
        delayMs = Math.min(MAX_DELAY_MS, delayMs * 2);
        reason = 'unreachable';
      } else if (isMlmdError(e) && e.code === StatusCode.ABORTED && abortedAttempts < retry.abortedRetries) {
        abortedAttempts++;
        wait = ABORTED_DELAY_MS;
        reason = 'aborted';
      } else {
        throw e;
      }
      retry.onRetry({ number: attempt, delayMs: Math.round(wait), error: e as Error, reason });
      await sleep(wait, retry.signal);
      if (retry.signal?.aborted) throw e;
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
