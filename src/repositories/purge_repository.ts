import type { Knex } from 'knex';
import type { Tx } from '../database/database';
import type { TableName } from '../database/tables';
import { buildFilteredIdsQuery, compileFilter } from '../filter';
import { MAX_IDS_PER_STATEMENT, chunked } from './statement_limits';

/**
 * Every SQL statement of the purge (src/store/retention/): reading the relation rows around a
 * set of nodes, locking, counting and deleting by id lists. Nothing here decides what is
 * deleted; the store does.
 *
 * A real purge runs its batches READ COMMITTED (TransactionOptions.readCommitted), so plain
 * reads see the latest committed rows at every statement on every backend and take no locks;
 * only the nodes about to go are locked (lockNodes), record by record. Locking reads of the
 * relation tables (InnoDB's LOCK IN SHARE MODE, with its gap locks) would make the purge
 * deadlock with clients inserting new memberships and events of the same pipeline context.
 */

export type PurgeNodeTable = 'Context' | 'Execution' | 'Artifact';

export interface EventEdge {
  id: number;
  artifactId: number;
  executionId: number;
}

export interface MembershipEdge {
  id: number;
  contextId: number;
  /** The artifact (Attribution) or execution (Association). */
  nodeId: number;
}

export interface ParentLink {
  contextId: number;
  parentContextId: number;
}


const num = (v: unknown) => Number(v);

async function selectIn<R>(
  tx: Tx,
  ids: readonly number[],
  build: (chunk: number[]) => Knex.QueryBuilder,
  map: (row: Record<string, unknown>) => R,
): Promise<R[]> {
  const out: R[] = [];
  for (const chunk of chunked([...new Set(ids)], MAX_IDS_PER_STATEMENT)) {
    const rows = (await build(chunk)) as Record<string, unknown>[];
    for (const row of rows) out.push(map(row));
  }
  return out;
}

/**
 * Locks node rows against concurrent updates until the transaction ends (SELECT ... FOR
 * UPDATE on MySQL/MariaDB and PostgreSQL; SQLite's write transaction already excludes every
 * other writer). Returns the ids that still exist, so a node deleted by a concurrent purge
 * since it was chosen drops out.
 */
export async function lockNodes(tx: Tx, table: PurgeNodeTable, ids: readonly number[]): Promise<Set<number>> {
  const found = new Set<number>();
  for (const chunk of chunked([...new Set(ids)], MAX_IDS_PER_STATEMENT)) {
    const query = tx.knex.from(tx.table(table)).select('id').whereIn('id', chunk).orderBy('id');
    if (tx.dialect !== 'sqlite') query.forUpdate();
    for (const row of (await query) as { id: unknown }[]) found.add(num(row.id));
  }
  return found;
}

/** Events with an execution in `executionIds`. */
export function eventsOfExecutions(tx: Tx, executionIds: readonly number[]): Promise<EventEdge[]> {
  return selectIn(
    tx,
    executionIds,
    (chunk) => tx.knex.from(tx.table('Event')).select('id', 'artifact_id', 'execution_id').whereIn('execution_id', chunk),
    (r) => ({ id: num(r.id), artifactId: num(r.artifact_id), executionId: num(r.execution_id) }),
  );
}

/** Events with an artifact in `artifactIds`. */
export function eventsOfArtifacts(tx: Tx, artifactIds: readonly number[]): Promise<EventEdge[]> {
  return selectIn(
    tx,
    artifactIds,
    (chunk) => tx.knex.from(tx.table('Event')).select('id', 'artifact_id', 'execution_id').whereIn('artifact_id', chunk),
    (r) => ({ id: num(r.id), artifactId: num(r.artifact_id), executionId: num(r.execution_id) }),
  );
}

type MembershipTable = 'Attribution' | 'Association';
const MEMBER_COLUMN: Record<MembershipTable, string> = { Attribution: 'artifact_id', Association: 'execution_id' };

/** Attribution or Association rows whose context is in `contextIds`. */
export function membershipsOfContexts(
  tx: Tx,
  table: MembershipTable,
  contextIds: readonly number[],
): Promise<MembershipEdge[]> {
  const member = MEMBER_COLUMN[table];
  return selectIn(
    tx,
    contextIds,
    (chunk) => tx.knex.from(tx.table(table)).select('id', 'context_id', member).whereIn('context_id', chunk),
    (r) => ({ id: num(r.id), contextId: num(r.context_id), nodeId: num(r[member]) }),
  );
}

/** Attribution rows of the artifacts, or Association rows of the executions, in `nodeIds`. */
export function membershipsOfMembers(
  tx: Tx,
  table: MembershipTable,
  nodeIds: readonly number[],
): Promise<MembershipEdge[]> {
  const member = MEMBER_COLUMN[table];
  return selectIn(
    tx,
    nodeIds,
    (chunk) => tx.knex.from(tx.table(table)).select('id', 'context_id', member).whereIn(member, chunk),
    (r) => ({ id: num(r.id), contextId: num(r.context_id), nodeId: num(r[member]) }),
  );
}

/** ParentContext rows whose child is in `contextIds` (one step up the context tree). */
export function parentLinksOfChildren(tx: Tx, contextIds: readonly number[]): Promise<ParentLink[]> {
  return selectIn(
    tx,
    contextIds,
    (c) => tx.knex.from(tx.table('ParentContext')).select('context_id', 'parent_context_id').whereIn('context_id', c),
    (r) => ({ contextId: num(r.context_id), parentContextId: num(r.parent_context_id) }),
  );
}

/** ParentContext rows in which a context of `contextIds` is the child or the parent. */
export async function parentLinksOf(tx: Tx, contextIds: readonly number[]): Promise<ParentLink[]> {
  const map = (r: Record<string, unknown>) => ({ contextId: num(r.context_id), parentContextId: num(r.parent_context_id) });
  const table = tx.table('ParentContext');
  const asChild = await selectIn(tx, contextIds, (c) => tx.knex.from(table).select('context_id', 'parent_context_id').whereIn('context_id', c), map);
  const asParent = await selectIn(
    tx,
    contextIds,
    (c) => tx.knex.from(table).select('context_id', 'parent_context_id').whereIn('parent_context_id', c),
    map,
  );
  const seen = new Map<string, ParentLink>();
  for (const link of [...asChild, ...asParent]) seen.set(`${link.contextId}/${link.parentContextId}`, link);
  return [...seen.values()];
}

/** Rows of `table` whose `column` is in `ids` (ids distinct, so chunks never overlap). */
export async function countWhereIn(tx: Tx, table: TableName, column: string, ids: readonly number[]): Promise<number> {
  let total = 0;
  for (const chunk of chunked([...new Set(ids)], MAX_IDS_PER_STATEMENT)) {
    const [row] = (await tx.knex.from(tx.table(table)).whereIn(column, chunk).count({ n: '*' })) as { n: unknown }[];
    total += num(row.n);
  }
  return total;
}

/** Deletes the rows of `table` whose `column` is in `ids`; returns how many went. */
export async function deleteWhereIn(tx: Tx, table: TableName, column: string, ids: readonly number[]): Promise<number> {
  let total = 0;
  for (const chunk of chunked([...new Set(ids)], MAX_IDS_PER_STATEMENT)) {
    total += num(await tx.knex.from(tx.table(table)).whereIn(column, chunk).del());
  }
  return total;
}

/** Which nodes a purge chooses: those of `kind` matching `filterQuery` and not `keepFilterQuery`. */
export interface PurgeChoice {
  kind: 'context' | 'execution' | 'artifact';
  filterQuery: string;
  keepFilterQuery?: string;
}

const NODE_TABLE_OF = { context: 'Context', execution: 'Execution', artifact: 'Artifact' } as const;

/** The chosen ids as a subquery (filters compiled by the filter module; bad text is INVALID_ARGUMENT). */
function chosenQuery(tx: Tx, choice: PurgeChoice): Knex.QueryBuilder {
  const include = buildFilteredIdsQuery(tx, compileFilter(choice.kind, choice.filterQuery));
  if (!choice.keepFilterQuery) return include;
  const keep = buildFilteredIdsQuery(tx, compileFilter(choice.kind, choice.keepFilterQuery));
  return tx.knex.from({ k: tx.table(NODE_TABLE_OF[choice.kind]) }).select('k.id').whereIn('k.id', include).whereNotIn('k.id', keep);
}

/** The chosen ids, lowest first, at most `limit` of them (all without a limit). */
export async function chosenNodeIds(tx: Tx, choice: PurgeChoice, limit?: number): Promise<number[]> {
  const query = tx.knex.from(chosenQuery(tx, choice).as('chosen')).select('chosen.id').orderBy('chosen.id', 'asc');
  if (limit !== undefined) query.limit(limit);
  return ((await query) as { id: unknown }[]).map((r) => num(r.id));
}

/** How many nodes the choice picks. */
export async function countChosen(tx: Tx, choice: PurgeChoice): Promise<number> {
  const [row] = (await tx.knex.from(chosenQuery(tx, choice).as('chosen')).count({ n: '*' })) as { n: unknown }[];
  return num(row.n);
}

/** How many nodes the node table holds. */
export async function countNodes(tx: Tx, table: PurgeNodeTable): Promise<number> {
  const [row] = (await tx.knex.from(tx.table(table)).count({ n: '*' })) as { n: unknown }[];
  return num(row.n);
}
