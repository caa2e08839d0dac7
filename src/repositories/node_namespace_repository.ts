import type { Knex } from 'knex';
import type { Dialect } from '../database/config';
import type { Tx } from '../database/database';
import { multiRowInsert } from '../database/multi_row_insert';
import {
  insertDerivedOwnership,
  NODE_NAMESPACE_TABLE,
  rebuildDerivedOwnership,
  type OwnershipSource,
} from '../database/schema/node_namespace_ownership';
import { nodeTables, type NodeKind } from './node_kind';
import { chunked, MAX_IDS_PER_STATEMENT, rowsPerStatement } from './statement_limits';

/**
 * Node ownership by namespace (tenancy, issue 15): the visibility predicate every filtered
 * read adds to its statement, and the writes that keep the ownership table current in the
 * writing transaction. What a scope means is the store's (src/store/tenancy/); here a
 * visibility is only a list of namespaces and whether unowned nodes pass.
 */

/** Which nodes pass: those owned by one of `namespaces` (any owner suffices), and unowned ones when `unowned`. */
export interface NodeVisibility {
  readonly namespaces: readonly string[];
  readonly unowned: boolean;
}

export interface OwnershipRow {
  kind: NodeKind;
  nodeId: number;
  namespace: string;
  source: OwnershipSource;
}

const quote = (dialect: Dialect, name: string) => (dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);

/**
 * `(EXISTS owned-by-a-listed-namespace OR NOT EXISTS any owner)` for the node whose id is the
 * SQL expression `idColumn` (already quoted): a semi-join on the ownership table's
 * (namespace, kind, node_id) index and its (kind, node_id, ...) primary key, so the optimiser
 * probes the index per candidate row instead of reading the table. The kind is one of our
 * constants, inlined.
 *
 * On PostgreSQL each subquery ends in OFFSET 0, which keeps it a per-row probe: otherwise the
 * planner may turn it into a join it drives from the ownership table, and with statistics that
 * lag the table (a fresh back-fill, before autovacuum's analyze counts it as one row) it did,
 * probing Event once per pair of owned artifact and execution: 250 ms instead of 1 for five
 * executions' events in a namespace of 500 nodes (test/store/tenancy/visibility_plans.test.ts).
 */
export function visibilityPredicate(dialect: Dialect, kind: NodeKind, idColumn: string, visibility: NodeVisibility): { sql: string; bindings: string[] } {
  const q = (name: string) => quote(dialect, name);
  const own = q(NODE_NAMESPACE_TABLE);
  const probeOnly = dialect === 'postgres' ? ' OFFSET 0' : '';
  const terms: string[] = [];
  const bindings: string[] = [];
  for (const namespaces of chunked(visibility.namespaces, MAX_IDS_PER_STATEMENT)) {
    terms.push(
      `EXISTS (SELECT 1 FROM ${own} o WHERE o.${q('namespace')} IN (${namespaces.map(() => '?').join(', ')}) ` +
        `AND o.${q('kind')} = '${kind}' AND o.${q('node_id')} = ${idColumn}${probeOnly})`,
    );
    bindings.push(...namespaces);
  }
  if (visibility.unowned) terms.push(`NOT EXISTS (SELECT 1 FROM ${own} o WHERE o.${q('kind')} = '${kind}' AND o.${q('node_id')} = ${idColumn}${probeOnly})`);
  if (terms.length === 0) return { sql: '1 = 0', bindings: [] };
  return { sql: `(${terms.join(' OR ')})`, bindings };
}

/** Restricts a query builder to visible nodes of `kind`, whose id is `column` (e.g. 'n.id'). */
export function whereVisible(tx: Tx, query: Knex.QueryBuilder, kind: NodeKind, column: string, visibility: NodeVisibility | undefined): Knex.QueryBuilder {
  if (!visibility) return query;
  const id = column.split('.').map((part) => quote(tx.dialect, part)).join('.');
  const predicate = visibilityPredicate(tx.dialect, kind, id, visibility);
  return query.whereRaw(predicate.sql, predicate.bindings);
}

/** The ids among `ids` (of existing or absent nodes) that are visible: one statement per chunk. */
export async function visibleNodeIds(tx: Tx, kind: NodeKind, ids: Iterable<number>, visibility: NodeVisibility): Promise<Set<number>> {
  const visible = new Set<number>();
  for (const chunk of chunked([...new Set(ids)])) {
    const query = tx.knex.from({ n: tx.table(nodeTables(kind).node) }).select('n.id').whereIn('n.id', chunk);
    const rows = (await whereVisible(tx, query, kind, 'n.id', visibility)) as { id: number | string }[];
    for (const row of rows) visible.add(Number(row.id));
  }
  return visible;
}

/** Adds ownership rows; rows already present are skipped (idempotent, never raises). */
export async function insertOwnership(tx: Tx, rows: readonly OwnershipRow[]): Promise<void> {
  const distinct = new Map(rows.map((r) => [`${r.kind}:${r.nodeId}:${r.namespace}:${r.source}`, r]));
  for (const chunk of chunked([...distinct.values()], rowsPerStatement(4))) {
    await multiRowInsert(
      tx.knex,
      tx.dialect,
      NODE_NAMESPACE_TABLE,
      chunk.map((r) => ({ kind: r.kind, node_id: r.nodeId, namespace: r.namespace, source: r.source })),
      { ignoreConflictsOn: ['kind', 'node_id', 'namespace', 'source'] },
    );
  }
}

/** The `run` owners of each of `contextIds` that has any (the namespaces its members inherit). */
export async function runOwnersOfContexts(tx: Tx, contextIds: readonly number[]): Promise<Map<number, string[]>> {
  const owners = new Map<number, string[]>();
  for (const chunk of chunked([...new Set(contextIds)])) {
    const rows = (await tx.knex
      .from(NODE_NAMESPACE_TABLE)
      .select('node_id', 'namespace')
      .where({ kind: 'context', source: 'run' })
      .whereIn('node_id', chunk)) as { node_id: number | string; namespace: string }[];
    for (const row of rows) {
      const list = owners.get(Number(row.node_id)) ?? [];
      list.push(row.namespace);
      owners.set(Number(row.node_id), list);
    }
  }
  return owners;
}

/**
 * Recomputes the `run` rows of the given nodes from MLMD's tables (after a run context's
 * namespace or an execution's own namespace changed): two statements per chunk.
 */
export async function refreshDerivedOwnership(tx: Tx, kind: NodeKind, nodeIds: readonly number[]): Promise<void> {
  for (const chunk of chunked([...new Set(nodeIds)])) {
    await tx.knex(NODE_NAMESPACE_TABLE).where({ kind, source: 'run' }).whereIn('node_id', chunk).delete();
    await insertDerivedOwnership(tx.knex, tx.dialect, kind, chunk);
  }
}

/** Removes every ownership row of deleted nodes (the purge). */
export async function deleteOwnershipOf(tx: Tx, kind: NodeKind, nodeIds: readonly number[]): Promise<void> {
  for (const chunk of chunked([...new Set(nodeIds)])) {
    await tx.knex(NODE_NAMESPACE_TABLE).where({ kind }).whereIn('node_id', chunk).delete();
  }
}

/**
 * Recomputes every derived row from MLMD's tables, keeping `creator` rows: the migration's
 * back-fill, and the repair after upstream's server (which ignores the table) has written.
 */
export async function rebuildNodeNamespaces(tx: Tx): Promise<void> {
  await rebuildDerivedOwnership(tx.knex, tx.dialect);
}

/** The ids among `ids` that have at least one owner: one statement per chunk. */
export async function ownedNodeIds(tx: Tx, kind: NodeKind, ids: Iterable<number>): Promise<Set<number>> {
  const owned = new Set<number>();
  for (const chunk of chunked([...new Set(ids)])) {
    const rows = (await tx.knex.from(NODE_NAMESPACE_TABLE).distinct('node_id').where({ kind }).whereIn('node_id', chunk)) as { node_id: number | string }[];
    for (const row of rows) owned.add(Number(row.node_id));
  }
  return owned;
}

export { CONTAINER_EXECUTION_TYPE, MAX_NAMESPACE_LENGTH, NAMESPACE_PROPERTY, RUN_CONTEXT_TYPE } from '../database/schema/node_namespace_ownership';
