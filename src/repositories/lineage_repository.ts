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
 * non-recursive CTEs, each reading Event by index from the previous one's ids (nextLevel); rows
 * in level, id order.
 * (A WITH RECURSIVE walk needs an OR join on the two event columns, which MariaDB cannot drive
 * from an index, and cannot stop where the walk ends; see bench/README.md.)
 */
export async function eventsOfWalk(tx: Tx, frontier: number[], levels: readonly WalkLevel[]): Promise<EventEdgeRow[][]> {
  const bindings: Knex.RawBinding[] = [];
  const ctes = levels.map((level, j) => {
    const { sql, values } = j === 0 ? frontierLevel(tx, level, frontier) : nextLevel(tx, level, `l${j - 1}`);
    const types = level.types ? ` AND e.type IN (${level.types.map(() => '?').join(', ')})` : '';
    bindings.push(`l${j}`, ...values, ...(level.types ?? []));
    // SQLite would otherwise re-run every earlier level inside each later one. PostgreSQL
    // materialises a CTE used twice by itself; MariaDB has no such keyword.
    return `?? AS ${tx.dialect === 'sqlite' ? 'MATERIALIZED ' : ''}(${sql}${types})`;
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

const LEVEL_COLUMNS = 'e.id, e.artifact_id, e.execution_id, e.type, e.milliseconds_since_epoch';

/** Level 0: the events touching the frontier's ids on the level's side. */
function frontierLevel(tx: Tx, level: WalkLevel, frontier: number[]): { sql: string; values: Knex.RawBinding[] } {
  return {
    sql: `SELECT ${LEVEL_COLUMNS} FROM ?? AS e WHERE e.?? IN (${frontier.map(() => '?').join(', ')})`,
    values: [tx.table('Event'), level.side, ...frontier],
  };
}

/**
 * A later level: the events touching, on the level's side, the ids on that side of the previous
 * level's events. The form is chosen per dialect so each level is an index lookup per id, as
 * upstream's per-hop IN lists are, whatever the planner's statistics say. As an IN-subquery,
 * MariaDB makes a semi-join that it drives by scanning Event whenever its statistics lag the
 * table (after a bulk load, before the background recount), and PostgreSQL, which cannot see
 * into a CTE's row count, hashes a sequential scan of Event: every level past the second read
 * the whole table, so the walk slowed as the database grew (test/repositories/
 * lineage_walk_query.test.ts). A join from the previous level's distinct ids in that order
 * (MariaDB's STRAIGHT_JOIN; PostgreSQL's LATERAL, kept from being flattened back into a hash
 * join by OFFSET 0) leaves the planner no scan to choose.
 * SQLite plans the IN-subquery as lookups already.
 */
function nextLevel(tx: Tx, level: WalkLevel, previous: string): { sql: string; values: Knex.RawBinding[] } {
  const event = tx.table('Event');
  const ids = 'SELECT DISTINCT ?? AS node_id FROM ??';
  switch (tx.dialect) {
    case 'mysql':
      return {
        sql: `SELECT ${LEVEL_COLUMNS} FROM (${ids}) AS p STRAIGHT_JOIN ?? AS e ON e.?? = p.node_id`,
        values: [level.side, previous, event, level.side],
      };
    case 'postgres':
      return {
        sql: `SELECT ${LEVEL_COLUMNS} FROM (${ids}) AS p CROSS JOIN LATERAL (SELECT * FROM ?? AS i WHERE i.?? = p.node_id OFFSET 0) AS e WHERE TRUE`,
        values: [level.side, previous, event, level.side],
      };
    default:
      return { sql: `SELECT ${LEVEL_COLUMNS} FROM ?? AS e WHERE e.?? IN (SELECT ?? FROM ??)`, values: [event, level.side, level.side, previous] };
  }
}
