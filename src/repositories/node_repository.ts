import type { Knex } from 'knex';
import type { Tx } from '../database/database';
import type { Artifact, Context, Execution, Value } from '../generated/ml_metadata/proto/metadata_store';
import { nodeTables, type NodeKind } from './node_kind';
import { chunked } from './statement_limits';
import { readMembersOfContext, readNodeByTypeAndName, readNodesByIds, readNodesOfType } from './node_read_statement';
import { nodeFromRow, type NodeMessage, type NodeMessages, type NodeRow } from './node_row';
import { loadProperties } from './property_repository';
import { whereVisible, type NodeVisibility } from './node_namespace_repository';

export type { NodeMessages, NodeRow } from './node_row';

const KIND_COLUMNS: Record<NodeKind, string[]> = {
  artifact: ['uri', 'state'],
  execution: ['last_known_state'],
  context: [],
};

/**
 * A select of `kind`'s node rows aliased `n`, joined to their type (`t`) for the `type` name.
 * Callers add their own WHERE; the node columns keep their names, the type's name is
 * `type_name`.
 */
export function selectNodeRows(tx: Tx, kind: NodeKind): Knex.QueryBuilder {
  const t = nodeTables(kind);
  return tx.knex
    .from({ n: tx.table(t.node) })
    .leftJoin({ t: tx.table('Type') }, 't.id', 'n.type_id')
    .select(
      'n.id',
      'n.type_id',
      { type_name: 't.name' },
      'n.name',
      'n.external_id',
      'n.create_time_since_epoch',
      'n.last_update_time_since_epoch',
      ...KIND_COLUMNS[kind].map((c) => `n.${c}`),
    );
}

/**
 * Fully hydrated nodes for `rows`: two statements per chunk whatever the number of nodes
 * or properties (the rows were one, the properties are one more). Output follows `rows`.
 */
export async function hydrateNodes<K extends NodeKind>(tx: Tx, kind: K, rows: readonly NodeRow[]): Promise<NodeMessages[K][]> {
  if (rows.length === 0) return [];
  const messages = rows.map((row) => nodeFromRow(kind, row));
  const byId = new Map<number, NodeMessage>();
  for (const m of messages) byId.set(Number(m.id), m);
  for (const p of await loadProperties(tx, kind, [...byId.keys()])) {
    const node = byId.get(p.nodeId);
    if (!node) continue;
    const map = (p.isCustom ? node.customProperties : node.properties) as Record<string, Value>;
    map[p.name] = p.value;
  }
  return messages as NodeMessages[K][];
}

/**
 * Nodes by id in the order of `ids` (first occurrence; duplicates collapse, missing ids are
 * skipped), fully hydrated with `type`, properties and custom properties. One statement per
 * chunk of ids: the node rows joined with Type and with their property rows.
 */
export async function loadNodes<K extends NodeKind>(tx: Tx, kind: K, ids: readonly number[], visibility?: NodeVisibility): Promise<NodeMessages[K][]> {
  const unique = [...new Set(ids.map(Number))];
  if (unique.length === 0) return [];
  const found = await readNodesByIds(tx, kind, unique, visibility);
  const nodes: NodeMessages[K][] = [];
  for (const id of unique) {
    const node = found.get(id);
    if (node !== undefined) nodes.push(node);
  }
  return nodes;
}

export const loadArtifacts = (tx: Tx, ids: readonly number[], visibility?: NodeVisibility): Promise<Artifact[]> =>
  loadNodes(tx, 'artifact', ids, visibility);
export const loadExecutions = (tx: Tx, ids: readonly number[], visibility?: NodeVisibility): Promise<Execution[]> =>
  loadNodes(tx, 'execution', ids, visibility);
export const loadContexts = (tx: Tx, ids: readonly number[], visibility?: NodeVisibility): Promise<Context[]> =>
  loadNodes(tx, 'context', ids, visibility);


/** Every artifact or execution of a context, ascending id, hydrated: one statement. */
export async function membersOfContext<K extends 'artifact' | 'execution'>(tx: Tx, kind: K, contextId: number, visibility?: NodeVisibility): Promise<NodeMessages[K][]> {
  return readMembersOfContext(tx, kind, contextId, visibility);
}

/** Every node of `kind`, ascending id, hydrated. */
export async function allNodes<K extends NodeKind>(tx: Tx, kind: K, visibility?: NodeVisibility): Promise<NodeMessages[K][]> {
  const rows = (await whereVisible(tx, selectNodeRows(tx, kind), kind, 'n.id', visibility).orderBy('n.id')) as NodeRow[];
  return hydrateNodes(tx, kind, rows);
}

/** Every node of one type, ascending id, hydrated. */
export async function nodesOfType<K extends NodeKind>(tx: Tx, kind: K, typeId: number, visibility?: NodeVisibility): Promise<NodeMessages[K][]> {
  return readNodesOfType(tx, kind, typeId, visibility);
}

/** Whether any node of `kind` has the type (one indexed probe). */
export async function typeHasNodes(tx: Tx, kind: NodeKind, typeId: number): Promise<boolean> {
  const any = await tx.knex(tx.table(nodeTables(kind).node)).select('id').where('type_id', typeId).limit(1);
  return any.length > 0;
}

/** The node of one type with this name (at most one: (type_id, name) is unique), hydrated. */
export async function nodeOfTypeNamed<K extends NodeKind>(
  tx: Tx,
  kind: K,
  typeId: number,
  name: string,
  visibility?: NodeVisibility,
): Promise<NodeMessages[K] | undefined> {
  return readNodeByTypeAndName(tx, kind, typeId, name, visibility);
}

/** Nodes holding any of the (distinct) external ids, ascending id, hydrated. */
export async function nodesWithExternalIdsHydrated<K extends NodeKind>(
  tx: Tx,
  kind: K,
  externalIds: readonly string[],
  visibility?: NodeVisibility,
): Promise<NodeMessages[K][]> {
  const rows: NodeRow[] = [];
  for (const batch of chunked(externalIds)) {
    rows.push(...((await whereVisible(tx, selectNodeRows(tx, kind).whereIn('n.external_id', batch), kind, 'n.id', visibility)) as NodeRow[]));
  }
  rows.sort((a, b) => Number(a.id) - Number(b.id));
  return hydrateNodes(tx, kind, rows);
}

/** Artifacts whose uri is one of the (distinct) `uris`, in the order `order` gives their rows, hydrated. */
export async function artifactsWithUris(
  tx: Tx,
  uris: readonly string[],
  order: (a: { uri: string; id: number }, b: { uri: string; id: number }) => number,
  visibility?: NodeVisibility,
): Promise<Artifact[]> {
  const rows: NodeRow[] = [];
  for (const batch of chunked(uris)) {
    const query = whereVisible(tx, selectNodeRows(tx, 'artifact').whereIn('n.uri', batch), 'artifact', 'n.id', visibility);
    rows.push(...((await query.orderBy('n.id')) as NodeRow[]));
  }
  rows.sort((a, b) => order({ uri: a.uri ?? '', id: Number(a.id) }, { uri: b.uri ?? '', id: Number(b.id) }));
  return hydrateNodes(tx, 'artifact', rows);
}
