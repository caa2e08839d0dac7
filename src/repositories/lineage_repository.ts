import type { Tx } from '../database/database';
import { chunked } from './chunked';

/** An event row as the traversal needs it; paths are loaded only for events returned. */
export interface EventEdgeRow {
  id: number;
  artifact_id: number;
  execution_id: number;
  type: number;
  milliseconds_since_epoch: number | null;
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
      .select('id', 'artifact_id', 'execution_id', 'type', 'milliseconds_since_epoch')
      .whereIn(side, ids)
      .orderBy('id')) as EventEdgeRow[];
    rows.push(...batch);
  }
  if (nodeIds.length > 0 && rows.length > 1) rows.sort((a, b) => a.id - b.id);
  return rows.map((r) => ({
    id: Number(r.id),
    artifact_id: Number(r.artifact_id),
    execution_id: Number(r.execution_id),
    type: Number(r.type),
    milliseconds_since_epoch: r.milliseconds_since_epoch === null ? null : Number(r.milliseconds_since_epoch),
  }));
}

export interface EventPathRow {
  event_id: number;
  is_index_step: number | boolean;
  step_index: number | null;
  step_key: string | null;
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
