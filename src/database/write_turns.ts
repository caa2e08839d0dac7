/**
 * SQLite has one writer at a time per file. With several connections in one process (the
 * worker threads of sqlite_worker_client.ts), writers that all send BEGIN IMMEDIATE at once
 * wait in SQLite's busy handler, which sleeps and polls (1, 2, 5 … 100 ms): the lock goes to
 * whichever poll lands first after a COMMIT, not to the writer that waited longest, and the
 * sleeps leave the file idle between writers. A write unit therefore takes a turn here
 * first, in arrival order, and holds it until its COMMIT or ROLLBACK: the next writer begins
 * the moment the last one ends, and a long series of transactions (a purge in batches) lets
 * the writers that queued behind one batch go before the next. Readers take no turn.
 *
 * Hand-written rather than a mutex library: a waiter whose call is cancelled must leave the
 * queue at once, and a turn not had within `maxWaitMs` is given up on (the unit then meets
 * SQLite's own busy timeout, as a writer in another process would).
 */
export class WriteTurns {
  private held = false;
  private readonly queue: { grant(): void }[] = [];

  /** `maxWaitMs`: as long as SQLite's busy handler would wait for the lock (busy_timeout). */
  constructor(private readonly maxWaitMs: number) {}

  /** Resolves with the release function once it is this caller's turn (or the wait gave up). */
  async take(signal?: AbortSignal): Promise<() => void> {
    if (!this.held) {
      this.held = true;
      return this.releaser();
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = () => {
        const at = this.queue.indexOf(waiter);
        if (at >= 0) this.queue.splice(at, 1);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        leave();
        reject(signal!.reason);
      };
      const waiter = {
        grant: () => {
          leave();
          resolve(this.releaser());
        },
      };
      this.queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      // Given up on, the caller goes ahead without a turn: nothing to release.
      timer = setTimeout(() => {
        leave();
        resolve(() => undefined);
      }, this.maxWaitMs);
    });
  }

  /** Callers queued behind the turn being held. */
  get waiting(): number {
    return this.queue.length;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue[0];
      if (next) next.grant();
      else this.held = false;
    };
  }
}
