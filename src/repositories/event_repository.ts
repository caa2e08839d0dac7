import type { Knex } from 'knex';
import type { Tx } from '../database/database';
import { whereVisible, type NodeVisibility } from './node_namespace_repository';
import { multiRowInsert } from '../database/multi_row_insert';
import { integerAsText } from '../database/sql_fragments';
import { chunked, EVENT_KEYS_PER_LOOKUP, ROWS_PER_INSERT } from './statement_limits';

/** One step of an event path as stored: an index step or a key step. */
export type StoredStep = { kind: 'index'; index: bigint } | { kind: 'key'; key: string };

export interface EventKey {
  artifactId: number;
  executionId: number;
  type: number;
}

export interface NewEvent extends EventKey {
  /** int64 milliseconds; bound as decimal text so values beyond 2^53 stay exact. */
  millisecondsSinceEpoch: bigint;
  steps: StoredStep[];
}

export interface StoredEvent extends EventKey {
  id: number;
  millisecondsSinceEpoch: bigint | null;
  steps: StoredStep[];
}

/**
 * The ordering column our migration adds to PostgreSQL's EventPath (see
 * migrations/20261122000003_eventpath_step_order.ts): its heap order is not insertion
 * order once free space is reused, so steps need an explicit sequence there.
 */
export const POSTGRES_STEP_ORDER_COLUMN = 'mlmd_ts_step_seq';

export function eventKeyString(key: EventKey): string {
  return `${key.artifactId}:${key.executionId}:${key.type}`;
}

/**
 * Which of `keys` already exist as events, as eventKeyString()s. One statement per chunk
 * of keys: rows matching both id lists are fetched and the exact triples checked here.
 */
export async function existingEventKeys(tx: Tx, keys: EventKey[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunked(keys, EVENT_KEYS_PER_LOOKUP)) {
    const artifactIds = [...new Set(chunk.map((k) => k.artifactId))];
    const executionIds = [...new Set(chunk.map((k) => k.executionId))];
    const rows = (await tx.knex
      .from(tx.table('Event'))
      .select('artifact_id', 'execution_id', 'type')
      .whereIn('artifact_id', artifactIds)
      .whereIn('execution_id', executionIds)) as { artifact_id: number; execution_id: number; type: number }[];
    for (const row of rows) {
      found.add(eventKeyString({ artifactId: Number(row.artifact_id), executionId: Number(row.execution_id), type: Number(row.type) }));
    }
  }
  return found;
}

/**
 * Inserts events and their path steps: multi-row INSERTs into Event (ids returned in row
 * order), then into EventPath, one row per step in step order.
 */
export async function insertEvents(tx: Tx, events: NewEvent[]): Promise<void> {
  const eventIds: number[] = [];
  for (const chunk of chunked(events, ROWS_PER_INSERT.event)) {
    const ids = await tx.insertReturningIds(
      'Event',
      chunk.map((e) => ({
        artifact_id: e.artifactId,
        execution_id: e.executionId,
        type: e.type,
        milliseconds_since_epoch: e.millisecondsSinceEpoch.toString(),
      })),
    );
    eventIds.push(...ids);
  }
  tx.recordRowsWritten('event', eventIds.length);
  const indexFlag = (isIndex: boolean) => (tx.dialect === 'postgres' ? isIndex : isIndex ? 1 : 0);
  const pathRows: Record<string, unknown>[] = [];
  events.forEach((event, i) => {
    for (const step of event.steps) {
      pathRows.push({
        event_id: eventIds[i],
        is_index_step: indexFlag(step.kind === 'index'),
        step_index: step.kind === 'index' ? step.index.toString() : null,
        step_key: step.kind === 'key' ? step.key : null,
      });
    }
  });
  for (const chunk of chunked(pathRows, ROWS_PER_INSERT.event)) {
    await multiRowInsert(tx.knex, tx.dialect, tx.table('EventPath'), chunk);
  }
}

interface EventRow {
  id: number;
  artifact_id: number;
  execution_id: number;
  type: number;
  ms: string | null;
}

interface EventStepRow {
  id: number;
  artifact_id: number;
  execution_id: number;
  type: number;
  ms: string | null;
  is_index_step: number | boolean | null;
  step_index: string | null;
  step_key: string | null;
}

/**
 * Events whose `column` is one of `ids`, ascending by event id (insertion order, which is
 * what callers of the by-execution and by-artifact reads rely on), with their paths.
 * One statement per chunk of ids whatever the number of events or steps: each event joined to
 * its steps (one row per step, one with no step for an event without a path), so a read of
 * one chunk is a sole statement (Tx.soleStatementNext: no BEGIN, no COMMIT) instead of two
 * statements in a frame, four round trips instead of one.
 */
export async function eventsWhere(
  tx: Tx,
  column: 'artifact_id' | 'execution_id',
  ids: number[],
  visibility?: NodeVisibility,
): Promise<StoredEvent[]> {
  const chunks = chunked([...new Set(ids)]);
  if (chunks.length === 1) tx.soleStatementNext();
  const events = new Map<number, StoredEvent>();
  for (const chunk of chunks) {
    for (const row of (await eventsWithStepsQuery(tx, column, chunk, visibility)) as EventStepRow[]) {
      const id = Number(row.id);
      let event = events.get(id);
      if (event === undefined) {
        event = {
          id,
          artifactId: Number(row.artifact_id),
          executionId: Number(row.execution_id),
          type: Number(row.type),
          millisecondsSinceEpoch: row.ms === null ? null : BigInt(row.ms),
          steps: [],
        };
        events.set(id, event);
      }
      const step = storedStep(row);
      if (step) event.steps.push(step);
    }
  }
  return [...events.values()].sort((a, b) => a.id - b.id);
}

/**
 * Each step in its insertion order (see eventPathSteps for how each backend keeps it): SQLite
 * and PostgreSQL order by it; on MySQL/MariaDB the left join probes EventPath through the
 * forced idx_eventpath_event_id for each event row (a ref access, which no join buffer
 * reorders), so one event's steps arrive together and in index order; events are sorted here.
 */
function eventsWithStepsQuery(tx: Tx, column: 'artifact_id' | 'execution_id', ids: number[], visibility?: NodeVisibility): Knex.QueryBuilder {
  const event = tx.table('Event');
  const path = tx.table('EventPath');
  const query = tx.knex
    .select(
      `${event}.id`,
      `${event}.artifact_id`,
      `${event}.execution_id`,
      `${event}.type`,
      integerAsText(tx.knex, tx.dialect, `${event}.milliseconds_since_epoch`, 'ms'),
      `${path}.is_index_step`,
      integerAsText(tx.knex, tx.dialect, `${path}.step_index`, 'step_index'),
      `${path}.step_key`,
    )
    .from(event)
    .whereIn(`${event}.${column}`, ids);
  if (tx.dialect === 'mysql') {
    query.leftJoin(tx.knex.raw('?? FORCE INDEX (??)', [path, 'idx_eventpath_event_id']), `${path}.event_id`, `${event}.id`);
  } else {
    query.leftJoin(path, `${path}.event_id`, `${event}.id`);
    query.orderBy([{ column: `${event}.id` }, { column: `${path}.${tx.dialect === 'sqlite' ? 'rowid' : POSTGRES_STEP_ORDER_COLUMN}` }]);
  }
  // With a visibility, only events whose two ends are both visible.
  whereVisible(tx, query, 'artifact', `${event}.artifact_id`, visibility);
  whereVisible(tx, query, 'execution', `${event}.execution_id`, visibility);
  return query;
}

function storedStep(row: { is_index_step: number | boolean | null; step_index: string | null; step_key: string | null }): StoredStep | undefined {
  const isIndex = row.is_index_step === true || Number(row.is_index_step) === 1;
  if (isIndex && row.step_index !== null) return { kind: 'index', index: BigInt(row.step_index) };
  if (!isIndex && row.step_key !== null) return { kind: 'key', key: row.step_key };
  return undefined;
}

interface PathRow {
  event_id: number;
  is_index_step: number | boolean;
  step_index: string | null;
  step_key: string | null;
}

/**
 * The path steps of each event, in the order they were inserted. EventPath has no ordering
 * column of upstream's, so each backend reads its own insertion order: SQLite's rowid;
 * on MySQL/MariaDB the idx_eventpath_event_id index, whose entries for one event_id are
 * ordered by InnoDB's hidden, ever-increasing row id; on PostgreSQL the sequence column
 * our migration adds (upstream's writes fill it through its default as well).
 */
export async function eventPathSteps(tx: Tx, eventIds: number[]): Promise<Map<number, StoredStep[]>> {
  const steps = new Map<number, StoredStep[]>();
  for (const chunk of chunked([...new Set(eventIds)])) {
    const rows = (await pathQuery(tx, chunk)) as PathRow[];
    for (const row of rows) {
      const step = storedStep(row);
      if (!step) continue;
      const eventId = Number(row.event_id);
      const list = steps.get(eventId) ?? [];
      list.push(step);
      steps.set(eventId, list);
    }
  }
  return steps;
}

function pathQuery(tx: Tx, eventIds: number[]): Knex.QueryBuilder {
  const columns = ['event_id', 'is_index_step', integerAsText(tx.knex, tx.dialect, 'step_index', 'step_index'), 'step_key'];
  const table = tx.table('EventPath');
  switch (tx.dialect) {
    case 'sqlite':
      return tx.knex.from(table).select(columns).whereIn('event_id', eventIds).orderBy([{ column: 'event_id' }, { column: 'rowid' }]);
    case 'mysql':
      // No ORDER BY: a sort is not guaranteed stable, whereas the forced index range scan
      // returns each event's rows in hidden-row-id (insertion) order. Grouping by event is
      // done by the caller.
      return tx.knex
        .from(tx.knex.raw('?? FORCE INDEX (??)', [table, 'idx_eventpath_event_id']))
        .select(columns)
        .whereIn('event_id', eventIds);
    case 'postgres':
      return tx.knex
        .from(table)
        .select(columns)
        .whereIn('event_id', eventIds)
        .orderBy([{ column: 'event_id' }, { column: POSTGRES_STEP_ORDER_COLUMN }]);
  }
}
