import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The store reports how many rows it wrote, per entity kind, through this module so that it
 * needs no knowledge of Prometheus. Kinds are a closed set: a label value must never be a type
 * name, id or anything else a client chose, or the metric's cardinality would be unbounded.
 */
export const WRITTEN_ENTITY_KINDS = [
  'artifact',
  'execution',
  'context',
  'event',
  'attribution',
  'association',
  'parent_context',
  'type',
] as const;
export type WrittenEntityKind = (typeof WRITTEN_ENTITY_KINDS)[number];

/** Where counts end up (the Prometheus counter in production, a fake in tests). */
export interface RowsWrittenSink {
  rowsWritten(kind: WrittenEntityKind, rows: number): void;
}

const DISCARD: RowsWrittenSink = { rowsWritten: () => {} };
let sink: RowsWrittenSink = DISCARD;

/** Installs the process-wide sink; returns a function restoring the previous one (for tests). */
export function setRowsWrittenSink(next: RowsWrittenSink): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

type Tally = Map<WrittenEntityKind, number>;
const pendingTally = new AsyncLocalStorage<Tally>();

/**
 * Called by the store after it wrote `rows` rows of one kind. Inside
 * `countRowsWhenCommitted` the count waits for the transaction's outcome; outside it, the
 * count is recorded at once.
 */
export function recordRowsWritten(kind: WrittenEntityKind, rows: number): void {
  if (!(rows > 0)) return;
  const tally = pendingTally.getStore();
  if (tally) tally.set(kind, (tally.get(kind) ?? 0) + rows);
  else sink.rowsWritten(kind, rows);
}

/**
 * Runs one RPC's unit of work and records the rows it wrote only if it succeeds: a
 * transaction that rolls back (bad input found after the first insert, exhausted retries)
 * wrote nothing. The database metrics observer calls `discardUncommittedRows` when an
 * attempt rolls back, so a deadlock retry does not count the re-run inserts twice.
 */
export async function countRowsWhenCommitted<T>(work: () => Promise<T>): Promise<T> {
  const tally: Tally = new Map();
  const result = await pendingTally.run(tally, work);
  for (const [kind, rows] of tally) sink.rowsWritten(kind, rows);
  return result;
}

/** Forgets the rows tallied so far in the current unit of work: its transaction rolled back. */
export function discardUncommittedRows(): void {
  pendingTally.getStore()?.clear();
}
