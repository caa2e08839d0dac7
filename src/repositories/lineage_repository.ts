import type { Knex } from 'knex';
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

/** Where a walk level leaves from, and which event types it may cross (undefined: all). */
export interface WalkLevel {
  side: 'artifact_id' | 'execution_id';
  types?: readonly number[];
}

/**
 * The events of several hops of a walk in ONE statement: level 0 holds the events touching
 * `frontier` on `levels[0].side`; level j the events touching, on `levels[j].side`, every node
 * at the far end of a level j-1 event. Each level is a superset of what a breadth-first hop
 * from the true frontier at that depth reads (visited nodes are not excluded), so the caller
 * can run its hops from these rows without a statement per hop. Written as a chain of
 * non-recursive CTEs, each an indexed IN-subquery on the previous one; rows in level, id order.
 * (A WITH RECURSIVE walk needs an OR join on the two event columns, which MariaDB cannot drive
 * from an index, and cannot stop where the walk ends; see bench/README.md.)
 */
export async function eventsOfWalk(tx: Tx, frontier: number[], levels: readonly WalkLevel[]): Promise<EventEdgeRow[][]> {
  const event = tx.table('Event');
  const bindings: Knex.RawBinding[] = [];
  const ctes: string[] = [];
  levels.forEach((level, j) => {
    let sql = `?? AS (SELECT id, artifact_id, execution_id, type, milliseconds_since_epoch FROM ?? WHERE `;
    bindings.push(`l${j}`, event);
    if (j === 0) {
      sql += `?? IN (${frontier.map(() => '?').join(', ')})`;
      bindings.push(level.side, ...frontier);
    } else {
      // The far side of the previous level's events is this level's near side.
      sql += '?? IN (SELECT ?? FROM ??)';
      bindings.push(level.side, level.side, `l${j - 1}`);
    }
    if (level.types) {
      sql += ` AND type IN (${level.types.map(() => '?').join(', ')})`;
      bindings.push(...level.types);
    }
    // SQLite would otherwise re-run every earlier level inside each later one. PostgreSQL
    // materialises a CTE used twice by itself; MariaDB has no such keyword.
    ctes.push(tx.dialect === 'sqlite' ? `${sql.replace(' AS (', ' AS MATERIALIZED (')})` : `${sql})`);
  });
  const text = tx.dialect === 'mysql' ? 'CHAR' : 'TEXT';
  const selects = levels.map((_, j) => `SELECT ${j} AS lvl, id, artifact_id, execution_id, type, CAST(milliseconds_since_epoch AS ${text}) AS ms FROM l${j}`);
  const sql = `WITH ${ctes.join(', ')} ${selects.join(' UNION ALL ')} ORDER BY lvl, id`;
  const rows = (await tx.knex.raw(sql, bindings)) as unknown;
  const list = (tx.dialect === 'mysql' ? (rows as [unknown[]])[0] : tx.dialect === 'postgres' ? (rows as { rows: unknown[] }).rows : rows) as (RawEventRow & { lvl: number | string })[];
  const out: EventEdgeRow[][] = levels.map(() => []);
  for (const r of list) {
    out[Number(r.lvl)].push({
      id: Number(r.id),
      artifact_id: Number(r.artifact_id),
      execution_id: Number(r.execution_id),
      type: Number(r.type),
      milliseconds_since_epoch: r.ms === null ? null : BigInt(r.ms),
    });
  }
  return out;
}

