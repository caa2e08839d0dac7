import type { CallOptions, MetadataStore } from '../store/metadata_store';
import type { RequestOf, ResponseOf, RpcMethod } from '../store/rpc';
import { decodeRequest } from '../store/wire_encoded';
import { isBoundedRead } from './bounded_reads';

/**
 * A bounded read slower than this sends its RPC to the threads for a while. The time is the
 * call's whole time here, queueing behind other calls included, so it is set well above what
 * small reads take under load (p99 under 20 ms, maximum under 50 ms in
 * bench/sqlite_heavy_query.ts): what it catches is a read whose data makes it heavy.
 */
export const INLINE_SLOW_MS = 100;
/** How long an RPC that proved slow on the event loop is served by the threads instead. */
export const INLINE_DEMOTION_MS = 60_000;

export interface InlineReadLimits {
  slowMs: number;
  demotionMs: number;
}

/**
 * The event loop's own read-only store for bounded reads (bounded_reads.ts), and which of them
 * have lately proved too slow for it. The request bounds a bounded read's cost, but the data
 * can still make it heavy: the events of an artifact that ten thousand executions read. A read
 * that took longer than `slowMs` sends its RPC to the store threads for `demotionMs`, so such
 * data stalls the event loop once in that while, not on every call.
 */
export class InlineReads {
  private readonly demotedUntil = new Map<RpcMethod, number>();

  constructor(
    readonly store: MetadataStore,
    private readonly limits: InlineReadLimits = { slowMs: INLINE_SLOW_MS, demotionMs: INLINE_DEMOTION_MS },
    private readonly clock: () => number = Date.now,
  ) {}

  /** Whether this call runs here: a bounded read, in its wire encoding, of an RPC not demoted. */
  accepts(method: RpcMethod, request: unknown): request is Uint8Array {
    if (!isBoundedRead(method, request)) return false;
    const until = this.demotedUntil.get(method);
    if (until === undefined) return true;
    if (this.clock() < until) return false;
    this.demotedUntil.delete(method);
    return true;
  }

  /** Decoded, run and answered here; the transport encodes the response. */
  async call<M extends RpcMethod>(method: M, request: Uint8Array, options: CallOptions): Promise<ResponseOf<M>> {
    const started = performance.now();
    try {
      return await this.store.call(method, decodeRequest(method, request as RequestOf<M> | Uint8Array), options);
    } finally {
      if (performance.now() - started > this.limits.slowMs) this.demotedUntil.set(method, this.clock() + this.limits.demotionMs);
    }
  }

  /** RPCs currently served by the threads because they proved slow here. */
  demoted(): RpcMethod[] {
    const now = this.clock();
    return [...this.demotedUntil].filter(([, until]) => now < until).map(([method]) => method);
  }
}
