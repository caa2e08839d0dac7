import type { Tx } from '../database/database';
import { integerAsText } from '../database/sql_fragments';
import { chunked } from './statement_limits';

interface RawEventRow {
  id: number;
  artifact_id: number;
  execution_id: number;
  type: number;
  ms: string | null;
}

/** An event row as the traversal needs it; paths are loaded only for events returned. */
export interface EventEdgeRow {
  id: number;
  artifact_id: number;
  execution_id: number;
  type: number;
  /** Client-supplied event times may use the whole int64 range. */
  milliseconds_since_epoch: bigint | null;
}

/**
 * Every event touching any of `nodeIds` (artifacts or executions), in id order. One statement
 * per chunk of ids, so a hop costs the same number of statements however many nodes its
 * frontier holds, up to the chunk size.
 */
export async function eventsTouching(tx: Tx, side: 'artifact_id' | 'execution_id', nodeIds: number[]): Promise<EventEdgeRow[]> {
  const rows: EventEdgeRow[] = [];
  for (const ids of chunked(nodeIds)) {
    const batch = (await tx.knex(tx.table('Event'))
      .select('id', 'artifact_id', 'execution_id', 'type', integerAsText(tx.knex, tx.dialect, 'milliseconds_since_epoch', 'ms'))
      .whereIn(side, ids)
      .orderBy('id')) as RawEventRow[];
    rows.push(
      ...batch.map((r) => ({
        id: Number(r.id),
        artifact_id: Number(r.artifact_id),
        execution_id: Number(r.execution_id),
        type: Number(r.type),
        milliseconds_since_epoch: r.ms === null ? null : BigInt(r.ms),
      })),
    );
  }
  // Chunks are each ordered; the whole answer must be too.
  return rows.sort((a, b) => a.id - b.id);
}

export interface ContextEdgeRow {
  context_id: number;
  node_id: number;
}

/** Attributions of the given artifacts (context_id, artifact_id), in stored order. */
export async function attributionsOf(tx: Tx, artifactIds: number[]): Promise<ContextEdgeRow[]> {
  const rows: ContextEdgeRow[] = [];
  for (const ids of chunked(artifactIds)) {
    const batch = await tx.knex(tx.table('Attribution')).select('context_id', { node_id: 'artifact_id' }).whereIn('artifact_id', ids).orderBy('id');
    rows.push(...(batch as ContextEdgeRow[]).map((r) => ({ context_id: Number(r.context_id), node_id: Number(r.node_id) })));
  }
  return rows;
}

/** Associations of the given executions (context_id, execution_id), in stored order. */
export async function associationsOf(tx: Tx, executionIds: number[]): Promise<ContextEdgeRow[]> {
  const rows: ContextEdgeRow[] = [];
  for (const ids of chunked(executionIds)) {
    const batch = await tx.knex(tx.table('Association')).select('context_id', { node_id: 'execution_id' }).whereIn('execution_id', ids).orderBy('id');
    rows.push(...(batch as ContextEdgeRow[]).map((r) => ({ context_id: Number(r.context_id), node_id: Number(r.node_id) })));
  }
  return rows;
}
