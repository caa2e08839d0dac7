import type { Dialect } from '../database/config';
import type { Tx } from '../database/database';
import { physicalTableName } from '../database/tables';
import type { Value } from '../generated/ml_metadata/proto/metadata_store';
import { nodeTables, type NodeKind } from './node_kind';
import { decodeValue, type StoredValueColumns } from './property_value_codec';
import { chunked } from './statement_limits';
import { nodeFromRow, type NodeMessage, type NodeMessages, type NodeRow } from './node_row';
import { selectRows } from './select_rows';
import { visibilityPredicate, type NodeVisibility } from './node_namespace_repository';

/**
 * Nodes with their type's name and every property in ONE statement: the node rows left-joined
 * to Type and to their property rows, one result row per property (a node without properties
 * gives one row with NULL property columns). One round trip instead of two, and one snapshot
 * by construction, so a read answered by it needs no transaction. The SQL text is built once
 * per (dialect, kind, filter) and run as a raw statement: no query builder per call.
 */

/** The property columns of a joined row; `property_name` is NULL on a node without properties. */
interface JoinedRow extends NodeRow, StoredValueColumns {
  property_name: string | null;
  is_custom_property: boolean | number | string | null;
}

const KIND_COLUMNS: Record<NodeKind, string[]> = {
  artifact: ['uri', 'state'],
  execution: ['last_known_state'],
  context: [],
};

const prefixes = new Map<string, string>();

/** `SELECT ... FROM node JOIN type JOIN properties WHERE `, without the filter's own text. */
function statementPrefix(dialect: Dialect, kind: NodeKind): string {
  const key = `${dialect}:${kind}`;
  let sql = prefixes.get(key);
  if (sql !== undefined) return sql;
  const q = (name: string) => (dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);
  const t = nodeTables(kind);
  const intAsText = dialect === 'mysql' ? 'CHAR' : 'TEXT';
  const nodeColumns = ['id', 'type_id', 'name', 'external_id', 'create_time_since_epoch', 'last_update_time_since_epoch', ...KIND_COLUMNS[kind]];
  sql =
    `SELECT ${nodeColumns.map((c) => `n.${q(c)}`).join(', ')}, ty.${q('name')} AS ${q('type_name')}, ` +
    `p.${q('name')} AS ${q('property_name')}, p.${q('is_custom_property')}, ` +
    `CAST(p.${q('int_value')} AS ${intAsText}) AS ${q('int_value')}, p.${q('double_value')}, p.${q('string_value')}, ` +
    `p.${q('proto_value')}, p.${q('bool_value')} ` +
    `FROM ${q(physicalTableName(dialect, t.node))} n ` +
    `LEFT JOIN ${q(physicalTableName(dialect, 'Type'))} ty ON ty.${q('id')} = n.${q('type_id')} ` +
    `LEFT JOIN ${q(physicalTableName(dialect, t.property))} p ON p.${q(t.propertyNodeColumn)} = n.${q('id')} `;
  prefixes.set(key, sql);
  return sql;
}

/** ` AND <visible>` for the node alias `n`, or nothing without a visibility (tenancy off). */
function visibleClause(dialect: Dialect, kind: NodeKind, visibility: NodeVisibility | undefined): { sql: string; bindings: string[] } {
  if (!visibility) return { sql: '', bindings: [] };
  const q = dialect === 'mysql' ? '`' : '"';
  const predicate = visibilityPredicate(dialect, kind, `n.${q}id${q}`, visibility);
  return { sql: ` AND ${predicate.sql}`, bindings: predicate.bindings };
}

const isCustomFlag = (raw: boolean | number | string): boolean =>
  typeof raw === 'string' ? raw === '1' || raw.toLowerCase().startsWith('t') : Boolean(raw);

/** Folds joined rows into messages, in the order their nodes first appear. */
function foldRows(dialect: Dialect, kind: NodeKind, rows: readonly JoinedRow[], into: Map<number, NodeMessage>): void {
  for (const row of rows) {
    const id = Number(row.id);
    let node = into.get(id);
    if (node === undefined) {
      node = nodeFromRow(kind, row);
      into.set(id, node);
    }
    if (row.property_name === null || row.property_name === undefined) continue;
    const isCustom = isCustomFlag(row.is_custom_property ?? 0);
    const where = `${isCustom ? 'custom_properties' : 'properties'}["${row.property_name}"] of ${kind} ${id}`;
    const map = (isCustom ? node.customProperties : node.properties) as Record<string, Value>;
    map[row.property_name] = decodeValue(dialect, row, where);
  }
}

/** Nodes by id, fully hydrated, keyed by id (missing ids absent): one statement per chunk. */
export async function readNodesByIds<K extends NodeKind>(
  tx: Tx,
  kind: K,
  ids: readonly number[],
  visibility?: NodeVisibility,
): Promise<Map<number, NodeMessages[K]>> {
  const nodes = new Map<number, NodeMessage>();
  const q = tx.dialect === 'mysql' ? '`' : '"';
  const visible = visibleClause(tx.dialect, kind, visibility);
  for (const chunk of chunked(ids)) {
    const sql = `${statementPrefix(tx.dialect, kind)}WHERE n.${q}id${q} IN (${'?,'.repeat(chunk.length - 1)}?)${visible.sql}`;
    foldRows(tx.dialect, kind, await selectRows<JoinedRow>(tx, sql, [...chunk, ...visible.bindings]), nodes);
  }
  return nodes as Map<number, NodeMessages[K]>;
}

/** The node of type `typeId` named `name`, fully hydrated, or undefined: one statement. */
export async function readNodeByTypeAndName<K extends NodeKind>(
  tx: Tx,
  kind: K,
  typeId: number,
  name: string,
  visibility?: NodeVisibility,
): Promise<NodeMessages[K] | undefined> {
  const q = tx.dialect === 'mysql' ? '`' : '"';
  const visible = visibleClause(tx.dialect, kind, visibility);
  const sql = `${statementPrefix(tx.dialect, kind)}WHERE n.${q}type_id${q} = ? AND n.${q}name${q} = ?${visible.sql}`;
  const nodes = new Map<number, NodeMessage>();
  foldRows(tx.dialect, kind, await selectRows<JoinedRow>(tx, sql, [typeId, name, ...visible.bindings]), nodes);
  return nodes.values().next().value as NodeMessages[K] | undefined;
}

/** Every node of type `typeId`, fully hydrated, ascending id: one statement. */
export async function readNodesOfType<K extends NodeKind>(tx: Tx, kind: K, typeId: number, visibility?: NodeVisibility): Promise<NodeMessages[K][]> {
  const q = tx.dialect === 'mysql' ? '`' : '"';
  const visible = visibleClause(tx.dialect, kind, visibility);
  const sql = `${statementPrefix(tx.dialect, kind)}WHERE n.${q}type_id${q} = ?${visible.sql} ORDER BY n.${q}id${q}`;
  const nodes = new Map<number, NodeMessage>();
  foldRows(tx.dialect, kind, await selectRows<JoinedRow>(tx, sql, [typeId, ...visible.bindings]), nodes);
  return [...nodes.values()] as NodeMessages[K][];
}

/** The membership table and member column of each member kind (Attribution, Association). */
const MEMBERSHIP: Record<'artifact' | 'execution', { table: 'Attribution' | 'Association'; member: string }> = {
  artifact: { table: 'Attribution', member: 'artifact_id' },
  execution: { table: 'Association', member: 'execution_id' },
};

/**
 * Every artifact (Attribution) or execution (Association) of context `contextId`, fully
 * hydrated, ascending id: one statement, the node read restricted by a semi-join on the
 * membership table's (context_id, member) key. So GetArtifactsByContext and
 * GetExecutionsByContext without options are one statement, which needs no transaction.
 */
export async function readMembersOfContext<K extends 'artifact' | 'execution'>(
  tx: Tx,
  kind: K,
  contextId: number,
  visibility?: NodeVisibility,
): Promise<NodeMessages[K][]> {
  const q = tx.dialect === 'mysql' ? '`' : '"';
  const { table, member } = MEMBERSHIP[kind];
  const visible = visibleClause(tx.dialect, kind, visibility);
  const members = `SELECT m.${q}${member}${q} FROM ${q}${physicalTableName(tx.dialect, table)}${q} m WHERE m.${q}context_id${q} = ?`;
  const sql = `${statementPrefix(tx.dialect, kind)}WHERE n.${q}id${q} IN (${members})${visible.sql} ORDER BY n.${q}id${q}`;
  const nodes = new Map<number, NodeMessage>();
  foldRows(tx.dialect, kind, await selectRows<JoinedRow>(tx, sql, [contextId, ...visible.bindings]), nodes);
  return [...nodes.values()] as NodeMessages[K][];
}

/**
 * The nodes of one page, fully hydrated, in the page's order: the page's own statement (ids
 * under the order, keyset and limit) nested as a derived table in the node read, so a listing
 * page is one statement where it was the page and then the nodes by id. (MySQL refuses a
 * LIMIT directly inside IN (…); one derived table more is accepted by every backend.)
 */
export async function readNodesOfPage<K extends NodeKind>(
  tx: Tx,
  kind: K,
  pageIds: { sql: string; bindings: readonly (string | number)[] },
  order: { order: 'id' | 'create_time_since_epoch' | 'last_update_time_since_epoch'; ascending: boolean },
): Promise<NodeMessages[K][]> {
  const q = tx.dialect === 'mysql' ? '`' : '"';
  const direction = order.ascending ? 'ASC' : 'DESC';
  const orderBy = order.order === 'id' ? `n.${q}id${q} ${direction}` : `n.${q}${order.order}${q} ${direction}, n.${q}id${q} ${direction}`;
  const sql = `${statementPrefix(tx.dialect, kind)}WHERE n.${q}id${q} IN (SELECT pg.${q}id${q} FROM (${pageIds.sql}) pg) ORDER BY ${orderBy}`;
  const nodes = new Map<number, NodeMessage>();
  foldRows(tx.dialect, kind, await selectRows<JoinedRow>(tx, sql, pageIds.bindings), nodes);
  return [...nodes.values()] as NodeMessages[K][];
}
