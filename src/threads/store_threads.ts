import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DatabaseTimeouts, SqliteConfig } from '../database/config';
import type { DatabaseObserver } from '../database/observer';
import { isMlmdError, MlmdError, StatusCode, unavailable } from '../errors';
import { openPreparedSqlite } from '../database/open_database';
import { MetadataStore, type CallOptions } from '../store/metadata_store';
import type { RequestOf, ResponseOf, RpcMethod } from '../store/rpc';
import type { TenancyScope } from '../store/tenancy/tenancy_scope';
import type { WireEncodingDispatcher } from '../store/wire_encoded';
import type { WriteTurns } from '../database/write_turns';
import { rpcRegistry } from '../store/rpc_registry';
import { InlineReads, type InlineReadLimits } from './inline_reads';
import { CancelSlot } from './cancel_slot';
import {
  errorFromData,
  replayObserverEvents,
  type AnswerMessage,
  type CallMessage,
  type ClonableTenancyScope,
  type FromThread,
  type StoreThreadSettings,
} from './thread_messages';

/**
 * The store on a SQLite file, served by a pool of threads that each run whole RPCs
 * (store_thread.ts) on a synchronous connection of their own. better-sqlite3 on the event
 * loop would stall every call behind one heavy query; a thread per connection that receives
 * every statement (the worker client of src/database/) pays a thread hop per statement,
 * ~0.2 ms of postMessage each. Here an RPC crosses once each way, whatever its statements.
 *
 * Calls go to an idle thread first, so a read never waits behind a long write while another
 * thread is free; with every thread busy they wait in one first-come, first-served queue.
 */

/** The thread's entry: store_thread.ts under tsx (tests, bench), store_thread.js from dist/. */
const THREAD_SCRIPT = path.join(__dirname, `store_thread${path.extname(__filename)}`);
/** How long close() waits for calls still in flight before terminating the threads. */
const CLOSE_WAIT_MS = 2_000;

export interface StoreThreadsOptions {
  /** A file openDatabase has already prepared (schema created or migrated). */
  config: SqliteConfig;
  schemaVersion: number;
  timeouts: DatabaseTimeouts;
  threads: number;
  /** SQLite's write turns of the process (Database.writeTurns): write calls take theirs before a thread runs them. */
  writeTurns?: WriteTurns;
  /**
   * Bounded reads (bounded_reads.ts) of wire-encoded requests run on the event loop, on a
   * read-only connection of its own, instead of crossing to a thread and back; an RPC that
   * proves slow there goes back to the threads for a while (inline_reads.ts; limits for tests).
   */
  boundedReadsInline?: boolean | InlineReadLimits;
  /** Receives the threads' database events (statements, transactions, retries, rows written). */
  observer: DatabaseObserver;
  /** A thread stopped unexpectedly (its call failed UNAVAILABLE; a new thread replaces it). */
  onThreadLost?: (error: Error) => void;
}

interface PendingCall {
  method: RpcMethod;
  request: unknown;
  options: CallOptions;
  /** The caller takes the response's wire encoding (callForWire). */
  wireEncoded: boolean;
  resolve(response: unknown): void;
  reject(error: Error): void;
  /** While queued: leaves the queue when the caller goes. While running: tells the thread. */
  onAbort?: () => void;
}

class StoreThread {
  private seq = 0;
  current: { seq: number; call: PendingCall } | undefined;
  ready = false;

  constructor(
    readonly worker: Worker,
    readonly slot: CancelSlot,
  ) {}

  nextSeq(): number {
    return ++this.seq;
  }
}

/** The pool gauges' view of the threads (PoolStats of src/observability/database_metrics.ts). */
export interface StoreThreadStats {
  max: number;
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

export class StoreThreads implements WireEncodingDispatcher {
  private readonly threads = new Set<StoreThread>();
  private readonly idle: StoreThread[] = [];
  private readonly queue: PendingCall[] = [];
  private closing = false;
  private drained: (() => void) | undefined;

  /** The event loop's own read-only store on the file, for bounded reads (inline_reads.ts). */
  private inline: InlineReads | undefined;

  private constructor(private readonly options: StoreThreadsOptions) {}

  /**
   * Resolves once the first thread has opened the file (rejects with its failure); the others
   * open after it, and take calls as each becomes ready. Each thread loads the whole store, which
   * takes seconds from source on a busy machine: start-up does not wait for all of them.
   */
  static async open(options: StoreThreadsOptions): Promise<StoreThreads> {
    const pool = new StoreThreads(options);
    try {
      await pool.startThread();
      if (options.boundedReadsInline) {
        const readonly = { ...options.config, readonly: true };
        const store = new MetadataStore(await openPreparedSqlite(readonly, { schemaVersion: options.schemaVersion, timeouts: options.timeouts }, options.observer));
        pool.inline = new InlineReads(store, options.boundedReadsInline === true ? undefined : options.boundedReadsInline);
      }
    } catch (e) {
      await pool.terminateAll();
      throw e;
    }
    for (let i = 1; i < options.threads; i++) {
      pool.startThread().catch((e: Error) => {
        if (!pool.closing) options.onThreadLost?.(e);
      });
    }
    return pool;
  }

  call<M extends RpcMethod>(method: M, request: RequestOf<M>, options: CallOptions = {}): Promise<ResponseOf<M>> {
    return this.enqueue(method, request, options, false) as Promise<ResponseOf<M>>;
  }

  /** The gRPC transport's entry: the thread encodes the response, the bytes cross as one buffer. */
  callForWire<M extends RpcMethod>(method: M, request: RequestOf<M> | Uint8Array, options: CallOptions = {}): Promise<ResponseOf<M> | Uint8Array> {
    return this.enqueue(method, request, options, true);
  }

  private enqueue<M extends RpcMethod>(method: M, request: RequestOf<M> | Uint8Array, options: CallOptions, wireEncoded: boolean): Promise<ResponseOf<M> | Uint8Array> {
    if (this.closing) return Promise.reject(unavailable('The server is shutting down; retry the call on another server.'));
    if (options.signal?.aborted) return Promise.reject(abortError(options.signal));
    if (this.inline && wireEncoded && this.inline.accepts(method, request)) return this.inline.call(method, request, options);
    const turns = this.options.writeTurns;
    if (!turns || rpcRegistry[method]?.readOnly !== false) return this.dispatch(method, request, options, wireEncoded);
    return this.inWriteTurn(turns, () => this.dispatch(method, request, options, wireEncoded), options.signal);
  }

  /**
   * A write takes its turn (write_turns.ts) before it goes to a thread, and holds it until its
   * thread answers: the threads' writers and the process's own (the purge) then take SQLite's
   * write lock one after another in arrival order, instead of polling for it from every thread
   * at once; and writers waiting for the lock hold no thread that a read could use.
   */
  private async inWriteTurn<T>(turns: WriteTurns, work: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    let endTurn: () => void;
    try {
      endTurn = await turns.take(signal);
    } catch (e) {
      throw signal?.aborted ? abortError(signal) : e;
    }
    try {
      return await work();
    } finally {
      endTurn();
    }
  }

  private dispatch<M extends RpcMethod>(method: M, request: RequestOf<M> | Uint8Array, options: CallOptions, wireEncoded: boolean): Promise<ResponseOf<M> | Uint8Array> {
    if (this.closing) return Promise.reject(unavailable('The server is shutting down; retry the call on another server.'));
    if (options.signal?.aborted) return Promise.reject(abortError(options.signal));
    return new Promise<ResponseOf<M> | Uint8Array>((resolve, reject) => {
      const call: PendingCall = { method, request, options, wireEncoded, resolve: resolve as (r: unknown) => void, reject };
      const thread = this.idle.pop();
      if (thread) {
        this.run(thread, call);
        return;
      }
      this.queue.push(call);
      const signal = options.signal;
      if (signal) {
        call.onAbort = () => {
          const at = this.queue.indexOf(call);
          if (at >= 0) this.queue.splice(at, 1);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', call.onAbort, { once: true });
      }
    });
  }

  /**
   * Shutdown past its grace: every call still running is cancelled with `reason` (its thread
   * rolls it back at its next statement), every queued one fails with it. Returns how many
   * were running.
   */
  abortCalls(reason: MlmdError): number {
    for (const call of this.queue.splice(0)) this.settle(call, () => call.reject(reason));
    let running = 0;
    for (const thread of this.threads) {
      if (!thread.current) continue;
      running++;
      this.cancel(thread, reason);
    }
    return running + (this.inline?.store.db.abortTransactions(reason) ?? 0);
  }

  /** After the server stopped taking calls: waits (bounded) for the running ones, then ends the threads. */
  async close(): Promise<void> {
    this.closing = true;
    for (const call of this.queue.splice(0)) this.settle(call, () => call.reject(unavailable('The server is shutting down.')));
    if (this.running() > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        timer = setTimeout(resolve, CLOSE_WAIT_MS);
        timer.unref();
      }).finally(() => clearTimeout(timer));
    }
    await this.terminateAll();
    await this.inline?.store.db.close();
  }

  stats(): StoreThreadStats {
    return {
      max: Math.max(1, this.options.threads),
      numUsed: () => this.running(),
      numFree: () => this.idle.length,
      numPendingAcquires: () => this.queue.length,
      numPendingCreates: () => [...this.threads].filter((t) => !t.ready).length,
    };
  }

  private running(): number {
    let n = 0;
    for (const thread of this.threads) if (thread.current) n++;
    return n;
  }

  private startThread(): Promise<void> {
    const slot = new CancelSlot();
    const settings: StoreThreadSettings = {
      config: this.options.config,
      schemaVersion: this.options.schemaVersion,
      timeouts: this.options.timeouts,
      cancelSlot: slot.buffer,
    };
    const thread = new StoreThread(startWorker(settings), slot);
    const worker = thread.worker;
    this.threads.add(thread);
    return new Promise<void>((resolve, reject) => {
      let opened = false;
      worker.on('message', (message: FromThread) => {
        if (message.type === 'answer') return this.answered(thread, message);
        if (message.type === 'ready') {
          opened = true;
          thread.ready = true;
          this.next(thread);
          resolve();
          return;
        }
        reject(errorFromData(message.error));
        void worker.terminate();
      });
      let lastError: Error | undefined;
      worker.on('error', (error) => (lastError = error));
      worker.on('exit', (code) => {
        this.threads.delete(thread);
        const at = this.idle.indexOf(thread);
        if (at >= 0) this.idle.splice(at, 1);
        const lost = lastError ?? new Error(`the SQLite store thread exited (${code})`);
        if (!opened) {
          reject(unavailable(`cannot open the SQLite store thread: ${lost.message}`));
          return;
        }
        if (this.closing) return;
        const running = thread.current?.call;
        thread.current = undefined;
        if (running) {
          this.settle(running, () =>
            running.reject(unavailable(`The SQLite store thread serving this call stopped (${lost.message}); nothing was committed unless the call's COMMIT had completed: read before retrying a write.`)),
          );
        }
        this.options.onThreadLost?.(lost);
        // Its replacement opens the same, already prepared file.
        this.startThread().catch((e: Error) => this.options.onThreadLost?.(e));
      });
    });
  }

  private run(thread: StoreThread, call: PendingCall): void {
    const signal = call.options.signal;
    if (call.onAbort) signal?.removeEventListener('abort', call.onAbort);
    call.onAbort = undefined;
    if (signal?.aborted) {
      call.reject(abortError(signal));
      this.next(thread);
      return;
    }
    const seq = thread.nextSeq();
    const message: CallMessage = { type: 'call', seq, method: call.method, request: call.request, tenancy: clonableScope(call.options.tenancy), wireEncoded: call.wireEncoded };
    try {
      thread.worker.postMessage(message, call.request instanceof Uint8Array ? [call.request.buffer as ArrayBuffer] : undefined);
    } catch (e) {
      // A request that cannot be cloned (our bug): the call fails, the thread stays free.
      call.reject(e as Error);
      this.next(thread);
      return;
    }
    thread.current = { seq, call };
    if (signal) {
      call.onAbort = () => this.cancel(thread, abortError(signal));
      signal.addEventListener('abort', call.onAbort, { once: true });
    }
  }

  private cancel(thread: StoreThread, reason: MlmdError): void {
    if (!thread.current) return;
    thread.slot.cancel(thread.current.seq, reason);
    thread.worker.postMessage({ type: 'cancel' });
  }

  private answered(thread: StoreThread, answer: AnswerMessage): void {
    // The thread's statements and transactions count whatever became of the call.
    replayObserverEvents(answer.events, this.options.observer);
    const current = thread.current;
    if (!current || current.seq !== answer.seq) return;
    thread.current = undefined;
    const call = current.call;
    this.settle(call, () => {
      const onDenial = call.options.tenancy?.onDenial;
      if (onDenial) for (const denial of answer.denials) onDenial.call(call.options.tenancy, denial);
      if (answer.error) call.reject(errorFromData(answer.error));
      else call.resolve(answer.encoded ?? answer.response);
    });
    this.next(thread);
  }

  /** Ends a call's bookkeeping (its abort listener) and then answers it. */
  private settle(call: PendingCall, answer: () => void): void {
    if (call.onAbort) call.options.signal?.removeEventListener('abort', call.onAbort);
    call.onAbort = undefined;
    answer();
  }

  /** A thread just became free: the longest-waiting call, else the idle list. */
  private next(thread: StoreThread): void {
    if (!this.threads.has(thread)) return;
    const waiting = this.queue.shift();
    if (waiting) {
      this.run(thread, waiting);
      return;
    }
    this.idle.push(thread);
    if (this.drained && this.running() === 0) this.drained();
  }

  private async terminateAll(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.threads].map((t) => t.worker.terminate()));
  }
}

/** The scope without its callback, which stays here and is replayed with the answer. */
function clonableScope(scope: TenancyScope | undefined): ClonableTenancyScope | undefined {
  if (!scope) return undefined;
  const { mode, principal, readable, writable, unownedVisible, defaultNamespace } = scope;
  return { mode, principal, readable, writable, unownedVisible, defaultNamespace };
}

/** As the transaction runner answers a unit whose signal fired before it began. */
function abortError(signal: AbortSignal): MlmdError {
  const reason: unknown = signal.reason;
  if (isMlmdError(reason)) return reason;
  return new MlmdError(StatusCode.CANCELLED, 'The call was cancelled; its transaction was rolled back.');
}

/**
 * From dist/ the thread runs store_thread.js itself. From source (tests, bench, `node
 * --import tsx src/main.ts`) the parent's loader flags do not reach a worker's entry file,
 * so the thread first registers tsx's CommonJS hook and then requires the .ts entry.
 */
function startWorker(settings: StoreThreadSettings): Worker {
  if (path.extname(THREAD_SCRIPT) !== '.ts') return new Worker(THREAD_SCRIPT, { workerData: settings });
  const source = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(THREAD_SCRIPT)});`;
  return new Worker(source, { eval: true, workerData: settings });
}
