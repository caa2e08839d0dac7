import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Logger } from '../observability/logger';

export const MLMD_SERVICE_NAME = 'ml_metadata.MetadataStoreService';

export interface DatabaseHealthOptions {
  /** Resolves when the database answers (Database.ping). */
  ping: () => Promise<void>;
  /** Time between pings; default 5 s. */
  intervalMs?: number;
  /** A ping slower than this counts as a failure; default 3 s. */
  timeoutMs?: number;
  logger?: Logger;
}

/**
 * grpc.health.v1.Health for the whole server ("") and for the MLMD service: SERVING only
 * while the database answers. A periodic ping flips both to NOT_SERVING on the first
 * failure and back on the first success, so a Kubernetes gRPC probe takes the pod out of
 * rotation while its database is away rather than letting every RPC fail.
 */
export class DatabaseHealth {
  readonly implementation = new HealthImplementation({ '': 'NOT_SERVING', [MLMD_SERVICE_NAME]: 'NOT_SERVING' });
  private status: ServingStatus = 'NOT_SERVING';
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: DatabaseHealthOptions) {}

  get current(): ServingStatus {
    return this.status;
  }

  /** Pings once now (so the first probe already knows), then on every interval. */
  async start(): Promise<void> {
    await this.check();
    if (this.stopped) return;
    this.timer = setInterval(() => void this.check(), this.options.intervalMs ?? 5000);
    this.timer.unref();
  }

  /** One ping; concurrent calls share it. */
  check(): Promise<void> {
    this.checking ??= this.pingWithTimeout()
      .then(
        () => this.set('SERVING'),
        (error: unknown) => this.set('NOT_SERVING', error),
      )
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }

  /** Shutting down: report NOT_SERVING and stop pinging. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.set('NOT_SERVING');
  }

  private async pingWithTimeout(): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 3000;
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.options.ping(),
        new Promise<never>((_, reject) => {
          timeout = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timeout);
    }
  }

  private set(status: ServingStatus, error?: unknown): void {
    if (this.stopped && status === 'SERVING') return;
    if (status !== this.status) {
      const logger = this.options.logger;
      if (status === 'SERVING') logger?.info({ health: status }, 'database answers; health is SERVING');
      else if (!this.stopped) logger?.warn({ health: status, err: error }, 'database does not answer; health is NOT_SERVING');
    }
    this.status = status;
    this.implementation.setStatus('', status);
    this.implementation.setStatus(MLMD_SERVICE_NAME, status);
  }
}
