import type { DatabaseTimeouts, SqliteConfig } from '../database/config';
import type { DatabaseObserver, RetryReason, TransactionOutcome, WrittenEntityKind } from '../database/observer';
import { MlmdError, type StatusCode } from '../errors';
import type { RpcMethod } from '../store/rpc';
import type { TenancyDenial, TenancyScope } from '../store/tenancy/tenancy_scope';

/**
 * What crosses between the main thread and a store thread (store_thread.ts). Calls from the
 * gRPC transport cross as wire-encoded bytes both ways (src/store/wire_encoded.ts); other
 * callers' messages cross as objects. Everything here survives structured clone: ts-proto messages are plain objects of bigints, strings and
 * Uint8Arrays; functions (a tenancy scope's onDenial) and class identities (MlmdError) do not,
 * so they travel as data and are rebuilt on the other side. Bytes fields arrive as plain
 * Uint8Arrays where ts-proto declares Buffer: a response's only reader on the main thread is
 * its serializer, which takes any Uint8Array (test/threads/structured_clone.test.ts checks
 * every RPC's request and response re-encodes to the same bytes).
 */

/** The thread's workerData: which prepared file to open, and the slot cancellations are written to. */
export interface StoreThreadSettings {
  config: SqliteConfig;
  schemaVersion: number;
  timeouts: DatabaseTimeouts;
  cancelSlot: SharedArrayBuffer;
}

/** A tenancy scope without its callback: denials come back with the answer instead. */
export type ClonableTenancyScope = Omit<TenancyScope, 'onDenial'>;

export interface CallMessage {
  type: 'call';
  /** Per thread, increasing: names the call in the cancel slot. */
  seq: number;
  method: RpcMethod;
  /** The request, or its wire encoding (a transferred Uint8Array) for the thread to decode. */
  request: unknown;
  tenancy?: ClonableTenancyScope;
  /** Answer with the response's wire encoding (`encoded`) instead of the object. */
  wireEncoded?: boolean;
}

/** "Look at the cancel slot": wakes a thread waiting between statements (a retry's back-off). */
export interface CancelMessage {
  type: 'cancel';
}

export type ToThread = CallMessage | CancelMessage;

/** An error as data: an MlmdError keeps its status code; anything else is a bug, reported with its stack. */
export interface ErrorData {
  code?: StatusCode;
  message: string;
  name?: string;
  stack?: string;
}

/**
 * One DatabaseObserver call made in the thread, replayed on the main thread's observer (the
 * process's Prometheus registry). Tuples: a PutExecution reports a couple of dozen of these.
 */
export type ObserverEvent =
  | ['query', string, number, boolean]
  | ['transaction', TransactionOutcome, number]
  | ['rows', WrittenEntityKind, number]
  | ['retry', RetryReason];

export interface AnswerMessage {
  type: 'answer';
  seq: number;
  response?: unknown;
  /** The response in its protobuf wire encoding, when the call asked for it; its buffer is transferred. */
  encoded?: Uint8Array;
  error?: ErrorData;
  events: ObserverEvent[];
  denials: TenancyDenial[];
}

export type FromThread = { type: 'ready' } | { type: 'open_failed'; error: ErrorData } | AnswerMessage;

export function errorToData(error: unknown): ErrorData {
  if (error instanceof MlmdError) return { code: error.code, message: error.message, name: error.name };
  if (error instanceof Error) return { message: error.message, name: error.name, stack: error.stack };
  return { message: String(error) };
}

/** The thread's error as the main thread's callers expect it: same class of error, same status and message. */
export function errorFromData(data: ErrorData): Error {
  if (data.code !== undefined) {
    const error = new MlmdError(data.code, data.message);
    if (data.name) error.name = data.name;
    return error;
  }
  const error = new Error(data.message);
  if (data.name) error.name = data.name;
  if (data.stack) error.stack = data.stack;
  return error;
}

/** A DatabaseObserver that only records, for the thread's next answer. */
export class RecordingObserver implements DatabaseObserver {
  private events: ObserverEvent[] = [];

  queryFinished(operation: string, seconds: number, failed: boolean): void {
    this.events.push(['query', operation, seconds, failed]);
  }

  transactionFinished(outcome: TransactionOutcome, seconds: number): void {
    this.events.push(['transaction', outcome, seconds]);
  }

  rowsWritten(kind: WrittenEntityKind, rows: number): void {
    this.events.push(['rows', kind, rows]);
  }

  transactionRetried(reason: RetryReason): void {
    this.events.push(['retry', reason]);
  }

  /** What was recorded since the last take. */
  take(): ObserverEvent[] {
    const taken = this.events;
    this.events = [];
    return taken;
  }
}

export function replayObserverEvents(events: readonly ObserverEvent[], observer: DatabaseObserver): void {
  for (const event of events) {
    switch (event[0]) {
      case 'query':
        observer.queryFinished(event[1], event[2], event[3]);
        break;
      case 'transaction':
        observer.transactionFinished(event[1], event[2]);
        break;
      case 'rows':
        observer.rowsWritten(event[1], event[2]);
        break;
      case 'retry':
        observer.transactionRetried(event[1]);
        break;
    }
  }
}
