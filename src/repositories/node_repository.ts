import type { Knex } from 'knex';
import type { Tx } from '../database/database';
import type { Artifact, Context, Execution, Value } from '../generated/ml_metadata/proto/metadata_store';
import { nodeTables, type NodeKind } from './node_kind';
import { chunked } from './chunked';
import { readNodesByIds } from './node_read_statement';
import { nodeFromRow, type NodeMessage, type NodeMessages, type NodeRow } from './node_row';
import { loadProperties } from './property_repository';

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
export async function loadNodes<K extends NodeKind>(tx: Tx, kind: K, ids: readonly number[]): Promise<NodeMessages[K][]> {
  const unique = [...new Set(ids.map(Number))];
  if (unique.length === 0) return [];
  const found = await readNodesByIds(tx, kind, unique);
  const nodes: NodeMessages[K][] = [];
  for (const id of unique) {
    const node = found.get(id);
    if (node !== undefined) nodes.push(node);
  }
  return nodes;
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
