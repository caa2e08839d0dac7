import type { Knex } from 'knex';
import type { Tx } from '../database/database';
import type { Artifact, Context, Execution, Value } from '../generated/ml_metadata/proto/metadata_store';
import { nodeTables, type NodeKind } from './node_kind';
import { chunked } from './chunked';
import { loadProperties } from './property_repository';

/** The generated message of each node kind. */
export interface NodeMessages {
  artifact: Artifact;
  execution: Execution;
  context: Context;
}
export type NodeMessage = Artifact | Execution | Context;

/** A node row joined with its type's name, as the drivers return it. */
export interface NodeRow {
  id: number | string;
  type_id: number | string;
  type_name: string | null;
  name: string | null;
  external_id: string | null;
  create_time_since_epoch: number | string;
  last_update_time_since_epoch: number | string;
  /** Artifact only. */
  uri?: string | null;
  /** Artifact only. */
  state?: number | string | null;
  /** Execution only. */
  last_known_state?: number | string | null;
}

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

/** Node rows by id (any order; missing ids absent), one statement per chunk of ids. */
export async function loadNodeRows(tx: Tx, kind: NodeKind, ids: readonly number[]): Promise<NodeRow[]> {
  const rows: NodeRow[] = [];
  for (const chunk of chunked(ids)) {
    rows.push(...((await selectNodeRows(tx, kind).whereIn('n.id', chunk)) as NodeRow[]));
  }
  return rows;
}

/** The message for one row, with presence exactly as upstream reads it (contract §2.5). */
function messageFromRow(kind: NodeKind, row: NodeRow): NodeMessage {
  const message: Artifact & Execution & Context = {
    id: BigInt(row.id),
    typeId: BigInt(row.type_id),
    properties: {},
    customProperties: {},
    createTimeSinceEpoch: BigInt(row.create_time_since_epoch),
    lastUpdateTimeSinceEpoch: BigInt(row.last_update_time_since_epoch),
  };
  if (row.type_name !== null) message.type = row.type_name;
  if (row.name !== null) message.name = row.name;
  if (row.external_id !== null) message.externalId = row.external_id;
  if (kind === 'artifact') {
    if (row.uri !== null && row.uri !== undefined) message.uri = row.uri;
    if (row.state !== null && row.state !== undefined) message.state = Number(row.state);
  }
  if (kind === 'execution' && row.last_known_state !== null && row.last_known_state !== undefined) {
    message.lastKnownState = Number(row.last_known_state);
  }
  return message;
}

/**
 * Fully hydrated nodes for `rows`: two statements per chunk whatever the number of nodes
 * or properties (the rows were one, the properties are one more). Output follows `rows`.
 */
export async function hydrateNodes<K extends NodeKind>(tx: Tx, kind: K, rows: readonly NodeRow[]): Promise<NodeMessages[K][]> {
  if (rows.length === 0) return [];
  const messages = rows.map((row) => messageFromRow(kind, row));
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
 * skipped), fully hydrated with `type`, properties and custom properties. A constant number
 * of statements: the node rows joined with Type, then all their property rows.
 */
export async function loadNodes<K extends NodeKind>(tx: Tx, kind: K, ids: readonly number[]): Promise<NodeMessages[K][]> {
  const unique = [...new Set(ids.map(Number))];
  if (unique.length === 0) return [];
  const rows = await loadNodeRows(tx, kind, unique);
  const rank = new Map(unique.map((id, i) => [id, i]));
  rows.sort((a, b) => rank.get(Number(a.id))! - rank.get(Number(b.id))!);
  return hydrateNodes(tx, kind, rows);
}

export const loadArtifacts = (tx: Tx, ids: readonly number[]): Promise<Artifact[]> => loadNodes(tx, 'artifact', ids);
export const loadExecutions = (tx: Tx, ids: readonly number[]): Promise<Execution[]> => loadNodes(tx, 'execution', ids);
export const loadContexts = (tx: Tx, ids: readonly number[]): Promise<Context[]> => loadNodes(tx, 'context', ids);

/**
 * The stored row id a wire id (int64) can name, or null when it cannot name any row: ids are
 * positive and far below 2^53, so a lossy Number() must never alias a huge id onto a real row.
 */
export function rowIdOf(id: bigint): number | null {
  return id >= 1n && id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : null;
}

/** Every node of `kind`, ascending id, hydrated. */
export async function allNodes<K extends NodeKind>(tx: Tx, kind: K): Promise<NodeMessages[K][]> {
  const rows = (await selectNodeRows(tx, kind).orderBy('n.id')) as NodeRow[];
  return hydrateNodes(tx, kind, rows);
}

/** Every node of one type, ascending id, hydrated. */
export async function nodesOfType<K extends NodeKind>(tx: Tx, kind: K, typeId: number): Promise<NodeMessages[K][]> {
  const rows = (await selectNodeRows(tx, kind).where('n.type_id', typeId).orderBy('n.id')) as NodeRow[];
  return hydrateNodes(tx, kind, rows);
}

/** Whether any node of `kind` has the type (one indexed probe). */
export async function typeHasNodes(tx: Tx, kind: NodeKind, typeId: number): Promise<boolean> {
  const any = await tx.knex(tx.table(nodeTables(kind).node)).select('id').where('type_id', typeId).limit(1);
  return any.length > 0;
}

/** The node of one type with this name (at most one: (type_id, name) is unique), hydrated. */
export async function nodeOfTypeNamed<K extends NodeKind>(tx: Tx, kind: K, typeId: number, name: string): Promise<NodeMessages[K] | undefined> {
  const rows = (await selectNodeRows(tx, kind).where('n.type_id', typeId).andWhere('n.name', name)) as NodeRow[];
  const [node] = await hydrateNodes(tx, kind, rows);
  return node;
}

/** Nodes holding any of the (distinct) external ids, ascending id, hydrated. */
export async function nodesWithExternalIdsHydrated<K extends NodeKind>(tx: Tx, kind: K, externalIds: readonly string[]): Promise<NodeMessages[K][]> {
  const rows: NodeRow[] = [];
  for (const batch of chunked(externalIds)) {
    rows.push(...((await selectNodeRows(tx, kind).whereIn('n.external_id', batch)) as NodeRow[]));
  }
  rows.sort((a, b) => Number(a.id) - Number(b.id));
  return hydrateNodes(tx, kind, rows);
}

/** Artifacts whose uri is one of the (distinct) `uris`, in the order `order` gives their rows, hydrated. */
export async function artifactsWithUris(
  tx: Tx,
  uris: readonly string[],
  order: (a: { uri: string; id: number }, b: { uri: string; id: number }) => number,
): Promise<Artifact[]> {
  const rows: NodeRow[] = [];
  for (const batch of chunked(uris)) {
    rows.push(...((await selectNodeRows(tx, 'artifact').whereIn('n.uri', batch).orderBy('n.id')) as NodeRow[]));
  }
  rows.sort((a, b) => order({ uri: a.uri ?? '', id: Number(a.id) }, { uri: b.uri ?? '', id: Number(b.id) }));
  return hydrateNodes(tx, 'artifact', rows);
}
