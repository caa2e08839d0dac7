import {
  LineageSubgraphQueryOptions_Direction as Direction,
  type Artifact,
  type Context,
  type Execution,
  type LineageGraph,
  type LineageSubgraphQueryOptions,
  type LineageSubgraphQueryOptions_EndingNodes as EndingNodes,
} from '../../generated/ml_metadata/proto/metadata_store';
import type { Tx } from '../../database/database';
import { associationsOf, attributionsOf, type EventEdgeRow } from '../../repositories/lineage_repository';
import { includeEndingNodes } from '../../proto/defaults';
import { invalidArgument, notFound } from '../../errors';
import { matchingNodeIds } from '../../repositories/node_match_repository';
import type { NodeKind } from '../../repositories/node_kind';
import { ARTIFACT_TYPES, CONTEXT_TYPES, EXECUTION_TYPES } from '../types/type_kind_spec';
import { followsEvent, isDirected } from './event_direction';
import { WalkEvents } from './walk_events';
import { allTypesForLineage, hydrateEvents } from './lineage_reads';
import { readFilterOf } from '../tenancy/call_tenancy';
import { readableIds } from '../tenancy/visible_ids';

/** The two node kinds a lineage walk crosses (contexts are only reported, never walked). */
type LineageNodeKind = Exclude<NodeKind, 'context'>;

/** Upstream's hop limit: absent means 100 and larger values are clamped to it. */
export const MAX_NUM_HOPS = 100;
/** Upstream lists starting nodes with its page cap (100 + 1). */
const MAX_STARTING_NODES = 101;

const GRAPH_FIELDS = [
  'artifacts',
  'executions',
  'contexts',
  'events',
  'attributions',
  'associations',
  'artifact_types',
  'execution_types',
  'context_types',
  'parent_contexts',
] as const;

interface KindState {
  visited: Set<number>;
  ending: Set<number>;
  endingFilter?: string;
  includeEnding: boolean;
}

/**
 * GetLineageSubgraph: a breadth-first walk over the bipartite artifact/execution graph whose
 * edges are events. The events of several hops come from one statement (WalkEvents); a hop
 * with ending filters adds one statement for its new candidates; never a statement per node.
 */
export async function getLineageSubgraph(
  tx: Tx,
  options: LineageSubgraphQueryOptions | undefined,
  readMask: string[] | undefined,
): Promise<LineageGraph> {
  const startKind: LineageNodeKind | undefined = options?.startingArtifacts
    ? 'artifact'
    : options?.startingExecutions
      ? 'execution'
      : undefined;
  if (!options || !startKind) throw invalidArgument('Missing arguments for listing starting nodes.');
  const startFilter = (startKind === 'artifact' ? options.startingArtifacts : options.startingExecutions)?.filterQuery;
  if (!startFilter) throw invalidArgument('Cannot list starting nodes if `filter_query` is unspecified.');
  let hops = MAX_NUM_HOPS;
  if (options.maxNumHops !== undefined) {
    if (options.maxNumHops < 0n) {
      throw invalidArgument(`max_num_hops cannot be negative: max_num_hops = ${options.maxNumHops}`);
    }
    hops = Number(options.maxNumHops > BigInt(MAX_NUM_HOPS) ? BigInt(MAX_NUM_HOPS) : options.maxNumHops);
  }
  const direction = options.direction ?? Direction.DIRECTION_UNSPECIFIED;

  // Tenancy: nodes the caller may not see are neither starting points nor crossed.
  const starting = await matchingNodeIds(tx, startKind, startFilter, { limit: MAX_STARTING_NODES, visibility: readFilterOf(tx) });
  if (starting.length === 0) throw notFound('Cannot find qualified nodes to start the traversal.');

  const state: Record<LineageNodeKind, KindState> = {
    artifact: kindState(options.endingArtifacts),
    execution: kindState(options.endingExecutions),
  };
  const startState = state[startKind];
  const startEnding = await matchEnding(tx, startKind, startState, starting);
  let frontier = starting.filter((id) => !startEnding.has(id));
  frontier.forEach((id) => startState.visited.add(id));

  const eventsOut: EventEdgeRow[] = [];
  const walk = new WalkEvents(tx, startKind, direction, hops);
  for (let hop = 0; hop < hops && frontier.length > 0; hop++) {
    const fromKind: LineageNodeKind = (startKind === 'artifact') === (hop % 2 === 0) ? 'artifact' : 'execution';
    const toKind: LineageNodeKind = fromKind === 'artifact' ? 'execution' : 'artifact';
    const fromArtifact = fromKind === 'artifact';
    const to = state[toKind];
    const otherEnd = (e: EventEdgeRow) => (fromArtifact ? e.execution_id : e.artifact_id);
    const followed = (await walk.eventsOfHop(hop, frontier)).filter((e) => followsEvent(direction, fromArtifact, e.type));
    const unseen = [...new Set(followed.map(otherEnd))].filter((id) => !to.visited.has(id) && !to.ending.has(id));
    // Visited and ending nodes were visible when reached; of the new ones only the visible count.
    const candidates = await readableIds(tx, toKind, unseen);
    const reachable = new Set(candidates);
    const events = followed.filter((e) => reachable.has(otherEnd(e)) || to.visited.has(otherEnd(e)) || to.ending.has(otherEnd(e)));
    const newlyEnding = await matchEnding(tx, toKind, to, candidates);
    const next = candidates.filter((id) => !newlyEnding.has(id));
    for (const event of events) {
      const other = otherEnd(event);
      if (to.ending.has(other)) {
        if (to.includeEnding) eventsOut.push(event);
      } else if (to.visited.has(other)) {
        if (isDirected(direction)) eventsOut.push(event);
      } else {
        eventsOut.push(event);
      }
    }
    next.forEach((id) => to.visited.add(id));
    frontier = next;
  }

  const artifactIds = nodesOut(state.artifact);
  const executionIds = nodesOut(state.execution);
  return assemble(tx, readMask, artifactIds, executionIds, eventsOut);
}

function kindState(ending: EndingNodes | undefined): KindState {
  // Only a *present* filter_query activates ending nodes; present-but-empty matches everything.
  return {
    visited: new Set(),
    ending: new Set(),
    endingFilter: ending?.filterQuery,
    includeEnding: ending?.filterQuery !== undefined && includeEndingNodes(ending),
  };
}

async function matchEnding(tx: Tx, kind: LineageNodeKind, state: KindState, candidates: number[]): Promise<Set<number>> {
  if (state.endingFilter === undefined || candidates.length === 0) return new Set();
  const matched =
    state.endingFilter === '' ? candidates : await matchingNodeIds(tx, kind, state.endingFilter, { candidates });
  matched.forEach((id) => state.ending.add(id));
  return new Set(matched);
}

function nodesOut(state: KindState): number[] {
  const ids = [...state.visited];
  if (state.includeEnding) ids.push(...state.ending);
  return ids.sort((a, b) => a - b);
}

async function assemble(
  tx: Tx,
  readMask: string[] | undefined,
  artifactIds: number[],
  executionIds: number[],
  events: EventEdgeRow[],
): Promise<LineageGraph> {
  const mask = new Set(readMask && readMask.length > 0 ? readMask : GRAPH_FIELDS);
  const graph: LineageGraph = {};
  if (mask.has('artifacts')) graph.artifacts = artifactIds.map((id): Artifact => ({ id: BigInt(id) }));
  if (mask.has('executions')) graph.executions = executionIds.map((id): Execution => ({ id: BigInt(id) }));
  if (mask.has('events')) graph.events = await hydrateEvents(tx, events);
  const needAttributions = mask.has('attributions') || mask.has('contexts');
  const needAssociations = mask.has('associations') || mask.has('contexts');
  let attributions = needAttributions ? await attributionsOf(tx, artifactIds) : [];
  let associations = needAssociations ? await associationsOf(tx, executionIds) : [];
  if (readFilterOf(tx)) {
    // Memberships of contexts the caller may not see (another namespace's run) are dropped.
    const contextIds = [...new Set([...attributions, ...associations].map((r) => r.context_id))];
    const visible = new Set(await readableIds(tx, 'context', contextIds));
    attributions = attributions.filter((r) => visible.has(r.context_id));
    associations = associations.filter((r) => visible.has(r.context_id));
  }
  if (mask.has('attributions')) {
    graph.attributions = attributions.map((r) => ({ artifactId: BigInt(r.node_id), contextId: BigInt(r.context_id) }));
  }
  if (mask.has('associations')) {
    graph.associations = associations.map((r) => ({ executionId: BigInt(r.node_id), contextId: BigInt(r.context_id) }));
  }
  if (mask.has('contexts')) {
    const contextIds = [...new Set([...attributions, ...associations].map((r) => r.context_id))].sort((a, b) => a - b);
    graph.contexts = contextIds.map((id): Context => ({ id: BigInt(id) }));
  }
  if (mask.has('artifact_types')) graph.artifactTypes = await allTypesForLineage(tx, ARTIFACT_TYPES);
  if (mask.has('execution_types')) graph.executionTypes = await allTypesForLineage(tx, EXECUTION_TYPES);
  if (mask.has('context_types')) graph.contextTypes = await allTypesForLineage(tx, CONTEXT_TYPES);
  return graph;
}
