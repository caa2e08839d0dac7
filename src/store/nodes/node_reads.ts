import type { Tx } from '../../database/database';
import type { ArtifactType, ListOperationOptions } from '../../generated/ml_metadata/proto/metadata_store';
import { chunked } from '../../repositories/chunked';
import { hydrateNodes, loadNodes, rowIdOf, selectNodeRows, type NodeMessages, type NodeRow } from '../../repositories/node_repository';
import { findTypeId } from '../../repositories/node_type_schema';
import { invalidArgument, notFound } from '../../errors';
import { nodeTables, type NodeKind } from '../../repositories/node_kind';
import { listNodeIdPage } from '../paging/list_node_page';

/** Nodes by id, ascending id (as upstream answers), duplicates collapsed, unknown ids skipped. */
export async function nodesById<K extends NodeKind>(tx: Tx, kind: K, ids: readonly bigint[] | undefined): Promise<NodeMessages[K][]> {
  const stored = (ids ?? []).map(rowIdOf).filter((id): id is number => id !== null);
  const sorted = [...new Set(stored)].sort((a, b) => a - b);
  return loadNodes(tx, kind, sorted);
}

export interface NodePage<K extends NodeKind> {
  nodes: NodeMessages[K][];
  nextPageToken?: string;
}

/**
 * Nodes of the (kind, name, version) type. An unknown type or a type without nodes answers an
 * empty result without looking at `options` (contract §8.5.3, §9.4). With options the page
 * (order, size, token and filter) is the paging module's; its token is always present then,
 * "" on the last page (quirk B31).
 */
export async function nodesByType<K extends NodeKind>(
  tx: Tx,
  kind: K,
  typeName: string | undefined,
  typeVersion: string | undefined,
  options: ListOperationOptions | undefined,
): Promise<NodePage<K>> {
  const typeId = await findTypeId(tx, kind, typeName ?? '', typeVersion);
  if (typeId === undefined) return { nodes: [] };
  if (options === undefined) {
    const rows = (await selectNodeRows(tx, kind).where('n.type_id', typeId).orderBy('n.id')) as NodeRow[];
    return { nodes: await hydrateNodes(tx, kind, rows) };
  }
  const any = await tx.knex(tx.table(nodeTables(kind).node)).select('id').where('type_id', typeId).limit(1);
  if (any.length === 0) return { nodes: [] };
  const page = await listNodeIdPage(tx, nodeTables(kind).node, options, [(q) => q.where('n.type_id', typeId)]);
  return { nodes: await loadNodes(tx, kind, page.ids), nextPageToken: page.nextPageToken ?? '' };
}

/** The node named `nodeName` in the (kind, name, version) type, or undefined. */
export async function nodeByTypeAndName<K extends NodeKind>(
  tx: Tx,
  kind: K,
  typeName: string | undefined,
  typeVersion: string | undefined,
  nodeName: string | undefined,
): Promise<NodeMessages[K] | undefined> {
  if (nodeName === undefined) return undefined;
  const typeId = await findTypeId(tx, kind, typeName ?? '', typeVersion);
  if (typeId === undefined) return undefined;
  const rows = (await selectNodeRows(tx, kind).where('n.type_id', typeId).andWhere('n.name', nodeName)) as NodeRow[];
  const [node] = await hydrateNodes(tx, kind, rows);
  return node;
}

/**
 * Nodes by external id: an empty id is INVALID_ARGUMENT, none found NOT_FOUND (quirk B15),
 * otherwise the found ones in ascending id order.
 */
export async function nodesByExternalIds<K extends NodeKind>(tx: Tx, kind: K, externalIds: readonly string[] | undefined): Promise<NodeMessages[K][]> {
  const wanted = [...new Set(externalIds ?? [])];
  if (wanted.length === 0) return [];
  const emptyAt = (externalIds ?? []).indexOf('');
  if (emptyAt >= 0) throw invalidArgument(`external_ids[${emptyAt}] is empty; an external id must be a non-empty string.`);
  const rows: NodeRow[] = [];
  for (const batch of chunked(wanted)) {
    rows.push(...((await selectNodeRows(tx, kind).whereIn('n.external_id', batch)) as NodeRow[]));
  }
  if (rows.length === 0) {
    throw notFound(`No ${kind}s found for external_ids: ${wanted.slice(0, 10).map((e) => JSON.stringify(e)).join(', ')}${wanted.length > 10 ? ', ...' : ''}.`);
  }
  rows.sort((a, b) => Number(a.id) - Number(b.id));
  return hydrateNodes(tx, kind, rows);
}

/** Artifacts whose uri equals one of `uris` (distinct uris; "" matches uri-less artifacts). */
export async function artifactsByUris(tx: Tx, uris: readonly string[] | undefined): Promise<NodeMessages['artifact'][]> {
  const wanted = [...new Set(uris ?? [])];
  if (wanted.length === 0) return [];
  const rows: NodeRow[] = [];
  for (const batch of chunked(wanted)) {
    rows.push(...((await selectNodeRows(tx, 'artifact').whereIn('n.uri', batch).orderBy('n.id')) as NodeRow[]));
  }
  // Grouped per uri, in the order the uris were first asked for.
  const rank = new Map(wanted.map((u, i) => [u, i]));
  rows.sort((a, b) => rank.get(a.uri ?? '')! - rank.get(b.uri ?? '')! || Number(a.id) - Number(b.id));
  return hydrateNodes(tx, 'artifact', rows);
}

/**
 * The distinct types of `artifacts` as GetArtifactsByID's populate_artifact_types returns
 * them: id, name, properties, and version/description/external_id when stored; never
 * base_type (contract §2.6).
 */
export async function typesOfArtifacts(tx: Tx, artifacts: readonly NodeMessages['artifact'][]): Promise<ArtifactType[]> {
  // Upstream lists each type once, in the order the (id-ordered) artifacts first name it.
  const typeIds = [...new Set(artifacts.map((a) => Number(a.typeId)))];
  if (typeIds.length === 0) return [];
  const types = new Map<number, ArtifactType>();
  for (const batch of chunked(typeIds)) {
    const rows = (await tx
      .knex(tx.table('Type'))
      .select('id', 'name', 'version', 'description', 'external_id')
      .whereIn('id', batch)
      .andWhere('type_kind', nodeTables('artifact').typeKind)) as TypeRow[];
    for (const r of rows) {
      const type: ArtifactType = { id: BigInt(r.id), name: r.name, properties: {} };
      if (r.version !== null) type.version = r.version;
      if (r.description !== null) type.description = r.description;
      if (r.external_id !== null) type.externalId = r.external_id;
      types.set(Number(r.id), type);
    }
  }
  for (const batch of chunked([...types.keys()])) {
    const props = (await tx.knex(tx.table('TypeProperty')).select('type_id', 'name', 'data_type').whereIn('type_id', batch)) as {
      type_id: number | string;
      name: string;
      data_type: number | string | null;
    }[];
    for (const p of props) {
      const type = types.get(Number(p.type_id));
      if (type && p.data_type !== null) type.properties![p.name] = Number(p.data_type);
    }
  }
  return typeIds.filter((id) => types.has(id)).map((id) => types.get(id)!);
}

interface TypeRow {
  id: number | string;
  name: string;
  version: string | null;
  description: string | null;
  external_id: string | null;
}
