import type { Knex } from 'knex';
import type { Tx } from '../database/database';
import { multiRowInsert } from '../database/multi_row_insert';
import { chunked, ROWS_PER_INSERT } from './statement_limits';


/**
 * The two context-membership tables: Attribution (context <-> artifact) and Association
 * (context <-> execution). Both are (id, context_id, <node>_id) with UNIQUE(context_id,
 * <node>_id).
 */
export type MembershipEdge = 'Attribution' | 'Association';

export const MEMBER_COLUMN: Record<MembershipEdge, 'artifact_id' | 'execution_id'> = {
  Attribution: 'artifact_id',
  Association: 'execution_id',
};

export interface MembershipRow {
  contextId: number;
  nodeId: number;
}

export interface ParentLink {
  childId: number;
  parentId: number;
}

/**
 * Inserts membership rows, skipping pairs that already exist. The conflict clause (INSERT
 * IGNORE on MySQL) makes the write idempotent even against a concurrent writer of the same
 * pair, and never raises, so PostgreSQL's transaction is not poisoned.
 */
export async function insertMemberships(tx: Tx, edge: MembershipEdge, rows: MembershipRow[], options: { withNextStatement?: boolean } = {}): Promise<void> {
  const column = MEMBER_COLUMN[edge];
  const chunks = chunked(rows, ROWS_PER_INSERT.edge);
  for (const chunk of chunks) {
    const insert = multiRowInsert(
      tx.knex,
      tx.dialect,
      tx.table(edge),
      chunk.map((r) => ({ context_id: r.contextId, [column]: r.nodeId })),
      { ignoreConflictsOn: ['context_id', column] },
    );
    // Integers only, so the statement can be rendered whole and ride in the packet of the
    // unit's next statement (MySQL), which then fails if it fails.
    if (options.withNextStatement && chunks.length === 1) await tx.withNextStatement(insert.toString());
    else await insert;
  }
  // Pairs that already existed are skipped by the database; counted as requested.
  tx.recordRowsWritten(edge === 'Attribution' ? 'attribution' : 'association', rows.length);
}

/** Ids of the contexts a node belongs to, ascending. */
export async function contextIdsOfMember(tx: Tx, edge: MembershipEdge, nodeId: number): Promise<number[]> {
  const rows = (await tx.knex
    .from(tx.table(edge))
    .select('context_id')
    .where(MEMBER_COLUMN[edge], nodeId)
    .orderBy('context_id')) as { context_id: number }[];
  return rows.map((r) => Number(r.context_id));
}

/** Ids of a context's artifacts (Attribution) or executions (Association), ascending. */
export async function memberIdsOfContext(tx: Tx, edge: MembershipEdge, contextId: number): Promise<number[]> {
  const column = MEMBER_COLUMN[edge];
  const rows = (await tx.knex.from(tx.table(edge)).select(column).where('context_id', contextId).orderBy(column)) as Record<
    string,
    number
  >[];
  return rows.map((r) => Number(r[column]));
}

/** Whether a context has any artifact (Attribution) or execution (Association): one probe. */
export async function contextHasMembers(tx: Tx, edge: MembershipEdge, contextId: number): Promise<boolean> {
  const anyMember = await tx.knex.from(tx.table(edge)).select(MEMBER_COLUMN[edge]).where('context_id', contextId).first();
  return anyMember !== undefined;
}

/** A subquery of a context's member ids, for restricting a paged node listing. */
export function memberIdsOfContextQuery(tx: Tx, edge: MembershipEdge, contextId: number): Knex.QueryBuilder {
  return tx.knex.from(tx.table(edge)).select(MEMBER_COLUMN[edge]).where('context_id', contextId);
}

/** Links whose child is one of `childIds` (their direct parents). One statement per chunk. */
export async function parentLinksOfChildren(tx: Tx, childIds: readonly number[]): Promise<ParentLink[]> {
  return linksWhere(tx, 'context_id', childIds);
}

/** Links whose parent is one of `parentIds` (their direct children). One statement per chunk. */
export async function childLinksOfParents(tx: Tx, parentIds: readonly number[]): Promise<ParentLink[]> {
  return linksWhere(tx, 'parent_context_id', parentIds);
}

async function linksWhere(tx: Tx, column: 'context_id' | 'parent_context_id', ids: readonly number[]): Promise<ParentLink[]> {
  const links: ParentLink[] = [];
  for (const chunk of chunked([...new Set(ids)])) {
    const rows = (await tx.knex
      .from(tx.table('ParentContext'))
      .select('context_id', 'parent_context_id')
      .whereIn(column, chunk)) as { context_id: number; parent_context_id: number }[];
    for (const r of rows) links.push({ childId: Number(r.context_id), parentId: Number(r.parent_context_id) });
  }
  return links;
}

/**
 * Every link reachable upwards from `startIds`: the parents of the start contexts, their
 * parents, and so on. One statement per level of ancestry (not per context), so the cost
 * follows the depth of the hierarchy, not the size of a request. A portable level walk
 * rather than WITH RECURSIVE, which MySQL 5.7 lacks.
 */
export async function ancestorLinks(tx: Tx, startIds: readonly number[]): Promise<ParentLink[]> {
  const visited = new Set<number>(startIds);
  const links: ParentLink[] = [];
  let frontier = [...visited];
  while (frontier.length > 0) {
    const level = await parentLinksOfChildren(tx, frontier);
    links.push(...level);
    frontier = [];
    for (const { parentId } of level) {
      if (visited.has(parentId)) continue;
      visited.add(parentId);
      frontier.push(parentId);
    }
  }
  return links;
}

export async function insertParentLinks(tx: Tx, links: ParentLink[]): Promise<void> {
  for (const chunk of chunked(links, ROWS_PER_INSERT.edge)) {
    const rows = chunk.map((l) => ({ context_id: l.childId, parent_context_id: l.parentId }));
    await multiRowInsert(tx.knex, tx.dialect, tx.table('ParentContext'), rows);
  }
  tx.recordRowsWritten('parent_context', links.length);
}
