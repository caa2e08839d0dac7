import type {
  ArtifactType,
  ContextType,
  ExecutionType,
  LineageGraph,
  LineageGraphQueryOptions,
} from '../../generated/ml_metadata/proto/metadata_store';
import type { Tx } from '../../database/database';
import { eventsTouching, type EventEdgeRow } from '../../repositories/lineage_repository';
import { invalidArgument, notFound } from '../../errors';
import { maxNodeSize as maxNodeSizeOf } from '../../proto/defaults';
import { SIMPLE_TYPES } from '../../repositories/type_repository';
import { matchingNodeIds } from '../../repositories/node_match_repository';
import { loadArtifacts, loadExecutions } from '../../repositories/node_repository';
import { listNodeIdPage } from '../paging/list_node_page';
import { ARTIFACT_TYPES, CONTEXT_TYPES, EXECUTION_TYPES } from '../types/type_kind_spec';
import { allTypesForLineage, hydrateEvents } from './lineage_reads';
import { readFilterOf } from '../tenancy/call_tenancy';
import { readableIds } from '../tenancy/visible_ids';

const SIMPLE_TYPE_NAMES = new Set(SIMPLE_TYPES.map((t) => t.name));

/** The removed upstream implementation's hop cap and default. */
const MAX_HOPS = 20;

/**
 * GetLineageGraph, deprecated upstream (its server answers UNIMPLEMENTED) but still called by
 * clients written against MLMD <= 1.14; this follows the last released semantics: expand from
 * one page of artifacts in both directions, pruning neighbours that fail the boundary filters,
 * until the hop limit or the node budget (max_node_size) is spent.
 */
export async function getLineageGraph(tx: Tx, options: LineageGraphQueryOptions | undefined): Promise<LineageGraph> {
  if (!options?.artifactsOptions) throw invalidArgument('Missing query_nodes conditions');
  const stop = options.stopConditions;
  let hops = MAX_HOPS;
  if (stop?.maxNumHops !== undefined) {
    if (stop.maxNumHops < 0n) throw invalidArgument(`max_num_hops cannot be negative: ${stop.maxNumHops}`);
    hops = Math.min(MAX_HOPS, Number(stop.maxNumHops));
  }
  const maxNodeSize = Number(maxNodeSizeOf(options));

  // Tenancy: invisible artifacts are not query nodes, and invisible neighbours are not crossed.
  const visibility = readFilterOf(tx);
  let queryNodes = (await listNodeIdPage(tx, 'Artifact', options.artifactsOptions, { visibility })).ids;
  if (queryNodes.length === 0) throw notFound('Cannot find the query nodes for the lineage graph.');
  if (maxNodeSize > 0) queryNodes = queryNodes.slice(0, maxNodeSize);
  let budget = maxNodeSize > 0 ? maxNodeSize - queryNodes.length : Infinity;

  const visitedArtifacts = new Set(queryNodes);
  const visitedExecutions = new Set<number>();
  const eventsOut: EventEdgeRow[] = [];
  let frontier = queryNodes;
  for (let hop = 0; hop < hops && frontier.length > 0 && budget > 0; hop++) {
    const fromArtifact = hop % 2 === 0;
    const visitedTo = fromArtifact ? visitedExecutions : visitedArtifacts;
    const events = await eventsTouching(tx, fromArtifact ? 'artifact_id' : 'execution_id', frontier);
    const otherEnd = (e: EventEdgeRow) => (fromArtifact ? e.execution_id : e.artifact_id);
    let neighbours = await readableIds(
      tx,
      fromArtifact ? 'execution' : 'artifact',
      [...new Set(events.map(otherEnd))].filter((id) => !visitedTo.has(id)),
    );
    const boundary = fromArtifact ? stop?.boundaryExecutions : stop?.boundaryArtifacts;
    if (boundary && neighbours.length > 0) {
      neighbours = await matchingNodeIds(tx, fromArtifact ? 'execution' : 'artifact', boundary, { candidates: neighbours });
    }
    if (neighbours.length > budget) neighbours = neighbours.slice(0, budget);
    budget -= neighbours.length;
    const kept = new Set(neighbours);
    eventsOut.push(...events.filter((e) => kept.has(otherEnd(e))));
    neighbours.forEach((id) => visitedTo.add(id));
    frontier = neighbours;
  }

  // Like upstream's list-all type reads, the built-in simple types are left out by name.
  const isUserType = (t: { name?: string }) => !SIMPLE_TYPE_NAMES.has(t.name ?? '');
  const artifacts = await loadArtifacts(tx, [...visitedArtifacts].sort((a, b) => a - b));
  const executions = await loadExecutions(tx, [...visitedExecutions].sort((a, b) => a - b));
  const events = await hydrateEvents(tx, eventsOut);
  const artifactTypes: ArtifactType[] = await allTypesForLineage(tx, ARTIFACT_TYPES);
  const executionTypes: ExecutionType[] = await allTypesForLineage(tx, EXECUTION_TYPES);
  const contextTypes: ContextType[] = await allTypesForLineage(tx, CONTEXT_TYPES);
  return {
    artifacts,
    executions,
    events,
    artifactTypes: artifactTypes.filter(isUserType),
    executionTypes: executionTypes.filter(isUserType),
    contextTypes,
  };
}
