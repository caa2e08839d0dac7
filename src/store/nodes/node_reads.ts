import type { Tx } from '../../database/database';
import type { ArtifactType, ListOperationOptions } from '../../generated/ml_metadata/proto/metadata_store';
import {
  artifactsWithUris,
  loadNodes,
  nodeOfTypeNamed,
  nodesOfType,
  nodesWithExternalIdsHydrated,
  typeHasNodes,
  type NodeMessages,
} from '../../repositories/node_repository';
import { storedIds } from '../../repositories/stored_ids';
import { findTypeId } from '../../repositories/node_type_schema';
import { artifactTypesOf } from '../../repositories/type_repository';
import { invalidArgument, notFound } from '../../errors';
import { nodeTables, type NodeKind } from '../../repositories/node_kind';
import { listNodePage } from '../paging/list_node_page';
import { everythingOrOnePage } from '../paging/everything_or_one_page';
import { readFilterOf } from '../tenancy/call_tenancy';

/** Nodes by id, ascending id (as upstream answers), duplicates collapsed, unknown ids skipped. */
export async function nodesById<K extends NodeKind>(tx: Tx, kind: K, ids: readonly bigint[] | undefined): Promise<NodeMessages[K][]> {
  const stored = storedIds(ids ?? []);
  const sorted = [...new Set(stored)].sort((a, b) => a - b);
  return loadNodes(tx, kind, sorted, readFilterOf(tx));
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
  const visibility = readFilterOf(tx);
  return everythingOrOnePage<NodePage<K>>(options, {
    everything: async () => ({ nodes: await nodesOfType(tx, kind, typeId, visibility) }),
    page: async (options) => {
      const hasNoNodes = async () => !(await typeHasNodes(tx, kind, typeId));
      const page = await listNodePage(tx, kind, options, { typeId, visibility }, hasNoNodes);
      // The token is "" on a last page, and absent when the type has no nodes at all: an empty
      // page asks which of the two it is (a second statement, only then).
      if (page.nodes.length === 0 && (await hasNoNodes())) return { nodes: [] };
      return { nodes: page.nodes, nextPageToken: page.nextPageToken ?? '' };
    },
  });
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
  // The node with its type and properties is one statement; with the type's id remembered
  // (it never changes), that statement is the whole read.
  tx.soleStatementNext();
  return nodeOfTypeNamed(tx, kind, typeId, nodeName, readFilterOf(tx));
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
  const nodes = await nodesWithExternalIdsHydrated(tx, kind, wanted, readFilterOf(tx));
  if (nodes.length === 0) {
    throw notFound(`No ${kind}s found for external_ids: ${wanted.slice(0, 10).map((e) => JSON.stringify(e)).join(', ')}${wanted.length > 10 ? ', ...' : ''}.`);
  }
  return nodes;
}

/** Artifacts whose uri equals one of `uris` (distinct uris; "" matches uri-less artifacts). */
export async function artifactsByUris(tx: Tx, uris: readonly string[] | undefined): Promise<NodeMessages['artifact'][]> {
  const wanted = [...new Set(uris ?? [])];
  if (wanted.length === 0) return [];
  // Grouped per uri, in the order the uris were first asked for.
  const rank = new Map(wanted.map((u, i) => [u, i]));
  return artifactsWithUris(tx, wanted, (a, b) => rank.get(a.uri)! - rank.get(b.uri)! || a.id - b.id, readFilterOf(tx));
}

/**
 * The distinct types of `artifacts` as GetArtifactsByID's populate_artifact_types returns
 * them: id, name, properties, and version/description/external_id when stored; never
 * base_type (contract §2.6).
 */
export async function typesOfArtifacts(tx: Tx, artifacts: readonly NodeMessages['artifact'][]): Promise<ArtifactType[]> {
  // Upstream lists each type once, in the order the (id-ordered) artifacts first name it.
  return artifactTypesOf(tx, [...new Set(artifacts.map((a) => Number(a.typeId)))]);
}
