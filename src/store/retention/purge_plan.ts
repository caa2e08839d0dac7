import { deleteOwnershipOf, refreshDerivedOwnership } from '../../repositories/node_namespace_repository';
import type { Tx } from '../../database/database';
import {
  countWhereIn,
  deleteWhereIn,
  eventsOfArtifacts,
  eventsOfExecutions,
  membershipsOfContexts,
  membershipsOfMembers,
  parentLinksOf,
  parentLinksOfChildren,
  type EventEdge,
  type MembershipEdge,
  type ParentLink,
} from '../../repositories/purge_repository';

/** The three kinds a purge can choose (the filter module's names). */
export type PurgeKind = 'context' | 'execution' | 'artifact';

/** Rows per table that a purge deletes (or would delete). */
export interface PurgeCounts {
  contexts: number;
  executions: number;
  artifacts: number;
  contextProperties: number;
  executionProperties: number;
  artifactProperties: number;
  events: number;
  eventPaths: number;
  attributions: number;
  associations: number;
  parentContexts: number;
  /** Of `events`: those whose other end survives. */
  eventsOfSurvivingNodes: number;
}

export const ZERO_COUNTS: Readonly<PurgeCounts> = {
  contexts: 0,
  executions: 0,
  artifacts: 0,
  contextProperties: 0,
  executionProperties: 0,
  artifactProperties: 0,
  events: 0,
  eventPaths: 0,
  attributions: 0,
  associations: 0,
  parentContexts: 0,
  eventsOfSurvivingNodes: 0,
};

export function addCounts(a: PurgeCounts, b: PurgeCounts): PurgeCounts {
  const sum = { ...a };
  for (const key of Object.keys(sum) as (keyof PurgeCounts)[]) sum[key] = a[key] + b[key];
  return sum;
}

/**
 * What deleting one set of chosen nodes takes with it: the node ids per kind and the ids of
 * every relation row that names one of them.
 */
export interface PurgePlan {
  contexts: number[];
  executions: number[];
  artifacts: number[];
  events: EventEdge[];
  attributionIds: number[];
  associationIds: number[];
  parentLinks: ParentLink[];
}

export function plannedNodes(plan: PurgePlan): number {
  return plan.contexts.length + plan.executions.length + plan.artifacts.length;
}

const sorted = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);
const idsOf = (edges: Iterable<{ id: number }>) => sorted(new Set([...edges].map((e) => e.id)));

/**
 * The plan for deleting `chosen` nodes of `kind`. For contexts, the rule of PurgeContexts:
 *
 *  - an execution goes when it is associated with a chosen context and with no surviving
 *    context other than an ancestor (parent, grandparent, ...) of the chosen contexts it
 *    belongs to;
 *  - an artifact goes when it is attributed to a chosen context or is an input/output of a
 *    going execution, is attributed to no surviving context other than such an ancestor,
 *    and is not an input/output of a surviving execution.
 *
 * The ancestor exception is what makes a run purgeable: Kubeflow associates every execution
 * (and attributes every artifact) with both the run context and its parent pipeline context,
 * which survives its runs. A membership in an unrelated surviving context (another run that
 * read a cached artifact) keeps the node.
 *
 * Each decision depends only on which nodes are going, not on the order they go in, so a
 * purge in batches (or an interrupted purge run again) ends where purging the set at once
 * would: an execution shared by two chosen runs goes with the batch of the second, and an
 * artifact kept by an execution of a later batch goes with that batch, as a neighbour of a
 * going execution; an artifact whose chosen context went in an earlier batch is still
 * exempt from that context's ancestors through the going execution that produced or read
 * it. (What stays order-dependent: a node belonging to two chosen contexts and to a
 * surviving context that is an ancestor of only the one purged first. Purged together, the
 * node goes; batched, it stays. Kubeflow writes no such shape.)

 */
export async function planPurge(tx: Tx, kind: PurgeKind, chosen: readonly number[]): Promise<PurgePlan> {
  if (kind === 'execution') {
    const events = await eventsOfExecutions(tx, chosen);
    const associations = await membershipsOfMembers(tx, 'Association', chosen);
    return { ...emptyPlan(), executions: sorted(chosen), events, associationIds: idsOf(associations) };
  }
  if (kind === 'artifact') {
    const events = await eventsOfArtifacts(tx, chosen);
    const attributions = await membershipsOfMembers(tx, 'Attribution', chosen);
    return { ...emptyPlan(), artifacts: sorted(chosen), events, attributionIds: idsOf(attributions) };
  }
  return planContextPurge(tx, chosen);
}

function emptyPlan(): PurgePlan {
  return { contexts: [], executions: [], artifacts: [], events: [], attributionIds: [], associationIds: [], parentLinks: [] };
}

/** Most levels of context tree walked up from a chosen context (a guard against cycles too). */
const MAX_ANCESTOR_DEPTH = 64;

/** Per chosen context, the ids of its ancestors. */
async function ancestorsOf(tx: Tx, chosen: readonly number[]): Promise<Map<number, Set<number>>> {
  const parents = new Map<number, number[]>();
  let frontier = [...new Set(chosen)];
  for (let depth = 0; depth < MAX_ANCESTOR_DEPTH && frontier.length > 0; depth++) {
    const links = await parentLinksOfChildren(tx, frontier);
    for (const id of frontier) parents.set(id, []);
    for (const l of links) parents.get(l.contextId)!.push(l.parentContextId);
    frontier = [...new Set(links.map((l) => l.parentContextId))].filter((id) => !parents.has(id));
  }
  const result = new Map<number, Set<number>>();
  for (const id of chosen) {
    const seen = new Set<number>();
    const stack = [...(parents.get(id) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(parents.get(next) ?? []));
    }
    result.set(id, seen);
  }
  return result;
}

/**
 * Members (by node id) that some surviving context holds: one not going and not an ancestor
 * of a going context related to the member, that is one it belongs to or (`related`) one
 * of a going execution it is an input or output of.
 */
function heldBySurvivors(
  memberships: readonly MembershipEdge[],
  going: ReadonlySet<number>,
  ancestors: ReadonlyMap<number, ReadonlySet<number>>,
  related: ReadonlyMap<number, readonly number[]> = new Map(),
): Set<number> {
  const byNode = new Map<number, MembershipEdge[]>();
  for (const m of memberships) byNode.set(m.nodeId, [...(byNode.get(m.nodeId) ?? []), m]);
  const held = new Set<number>();
  for (const [node, edges] of byNode) {
    const relatedGoing = [...edges.filter((e) => going.has(e.contextId)).map((e) => e.contextId), ...(related.get(node) ?? [])];
    const exempt = new Set<number>();
    for (const c of relatedGoing) for (const a of ancestors.get(c) ?? []) exempt.add(a);
    if (edges.some((e) => !going.has(e.contextId) && !exempt.has(e.contextId))) held.add(node);
  }
  return held;
}

function pushTo(map: Map<number, number[]>, key: number, values: readonly number[]): void {
  if (values.length === 0) return;
  map.set(key, [...(map.get(key) ?? []), ...values]);
}

async function planContextPurge(tx: Tx, chosen: readonly number[]): Promise<PurgePlan> {
  const going = new Set(chosen);
  const ancestors = await ancestorsOf(tx, chosen);

  // Executions: members of a chosen context, held by no surviving context.
  const associationsOfChosen = await membershipsOfContexts(tx, 'Association', chosen);
  const candidateExecutions = [...new Set(associationsOfChosen.map((a) => a.nodeId))];
  const associationsOfCandidates = await membershipsOfMembers(tx, 'Association', candidateExecutions);
  const keptExecutions = heldBySurvivors(associationsOfCandidates, going, ancestors);
  const executions = new Set(candidateExecutions.filter((id) => !keptExecutions.has(id)));

  // Artifacts: attributed to a chosen context or touching a going execution, and held by
  // nothing that survives.
  const attributionsOfChosen = await membershipsOfContexts(tx, 'Attribution', chosen);
  const eventsOfGoingExecutions = await eventsOfExecutions(tx, [...executions]);
  const candidateArtifacts = [...new Set([...attributionsOfChosen.map((a) => a.nodeId), ...eventsOfGoingExecutions.map((e) => e.artifactId)])];
  const attributionsOfCandidates = await membershipsOfMembers(tx, 'Attribution', candidateArtifacts);
  const eventsOfCandidates = await eventsOfArtifacts(tx, candidateArtifacts);
  const goingContextsOfExecution = new Map<number, number[]>();
  for (const a of associationsOfCandidates) if (going.has(a.contextId)) pushTo(goingContextsOfExecution, a.nodeId, [a.contextId]);
  const relatedContexts = new Map<number, number[]>();
  for (const e of eventsOfGoingExecutions) pushTo(relatedContexts, e.artifactId, goingContextsOfExecution.get(e.executionId) ?? []);
  const keptArtifacts = new Set([
    ...heldBySurvivors(attributionsOfCandidates, going, ancestors, relatedContexts),
    ...eventsOfCandidates.filter((e) => !executions.has(e.executionId)).map((e) => e.artifactId),
  ]);
  const artifacts = new Set(candidateArtifacts.filter((id) => !keptArtifacts.has(id)));

  const events = new Map<number, EventEdge>();
  for (const e of [...eventsOfGoingExecutions, ...eventsOfCandidates]) {
    if (executions.has(e.executionId) || artifacts.has(e.artifactId)) events.set(e.id, e);
  }
  const associations: MembershipEdge[] = [...associationsOfChosen, ...associationsOfCandidates.filter((a) => executions.has(a.nodeId))];
  const attributions: MembershipEdge[] = [...attributionsOfChosen, ...attributionsOfCandidates.filter((a) => artifacts.has(a.nodeId))];
  return {
    contexts: sorted(going),
    executions: sorted(executions),
    artifacts: sorted(artifacts),
    events: [...events.values()],
    attributionIds: idsOf(attributions),
    associationIds: idsOf(associations),
    parentLinks: await parentLinksOf(tx, chosen),
  };
}

/** For each deleted event whose other end the plan keeps: that end (kind and id). */
export function cutEventEnds(plan: PurgePlan): { artifacts: number[]; executions: number[] } {
  const executions = new Set(plan.executions);
  const artifacts = new Set(plan.artifacts);
  const ends = { artifacts: [] as number[], executions: [] as number[] };
  for (const e of plan.events) {
    if (!executions.has(e.executionId)) ends.executions.push(e.executionId);
    else if (!artifacts.has(e.artifactId)) ends.artifacts.push(e.artifactId);
  }
  return ends;
}

function eventsOfSurvivingNodes(plan: PurgePlan): number {
  const executions = new Set(plan.executions);
  const artifacts = new Set(plan.artifacts);
  return plan.events.filter((e) => !executions.has(e.executionId) || !artifacts.has(e.artifactId)).length;
}

/** What the plan would delete, counted without changing anything (the dry run). */
export async function countPlan(tx: Tx, plan: PurgePlan): Promise<PurgeCounts> {
  return {
    contexts: plan.contexts.length,
    executions: plan.executions.length,
    artifacts: plan.artifacts.length,
    contextProperties: await countWhereIn(tx, 'ContextProperty', 'context_id', plan.contexts),
    executionProperties: await countWhereIn(tx, 'ExecutionProperty', 'execution_id', plan.executions),
    artifactProperties: await countWhereIn(tx, 'ArtifactProperty', 'artifact_id', plan.artifacts),
    events: plan.events.length,
    eventPaths: await countWhereIn(tx, 'EventPath', 'event_id', plan.events.map((e) => e.id)),
    attributions: plan.attributionIds.length,
    associations: plan.associationIds.length,
    parentContexts: plan.parentLinks.length,
    eventsOfSurvivingNodes: eventsOfSurvivingNodes(plan),
  };
}

/**
 * Deletes what the plan names, relation rows first, and returns the rows each statement
 * removed (the report of a real run is what the database did, not what was planned).
 */
export async function deletePlan(tx: Tx, plan: PurgePlan): Promise<PurgeCounts> {
  // Members that survive a deleted run context lose its namespace (tenancy ownership):
  // found before their memberships go.
  const survivors = await survivingMembersOf(tx, plan);
  const eventIds = plan.events.map((e) => e.id);
  const eventPaths = await deleteWhereIn(tx, 'EventPath', 'event_id', eventIds);
  const events = await deleteWhereIn(tx, 'Event', 'id', eventIds);
  const attributions = await deleteWhereIn(tx, 'Attribution', 'id', plan.attributionIds);
  const associations = await deleteWhereIn(tx, 'Association', 'id', plan.associationIds);
  const parentContexts =
    (await deleteWhereIn(tx, 'ParentContext', 'context_id', plan.contexts)) +
    (await deleteWhereIn(tx, 'ParentContext', 'parent_context_id', plan.contexts));
  // Our ownership rows go with their nodes (tenancy), in the same transaction.
  await deleteOwnershipOf(tx, 'context', plan.contexts);
  await deleteOwnershipOf(tx, 'execution', plan.executions);
  await deleteOwnershipOf(tx, 'artifact', plan.artifacts);
  const counts: PurgeCounts = {
    contextProperties: await deleteWhereIn(tx, 'ContextProperty', 'context_id', plan.contexts),
    executionProperties: await deleteWhereIn(tx, 'ExecutionProperty', 'execution_id', plan.executions),
    artifactProperties: await deleteWhereIn(tx, 'ArtifactProperty', 'artifact_id', plan.artifacts),
    contexts: await deleteWhereIn(tx, 'Context', 'id', plan.contexts),
    executions: await deleteWhereIn(tx, 'Execution', 'id', plan.executions),
    artifacts: await deleteWhereIn(tx, 'Artifact', 'id', plan.artifacts),
    events,
    eventPaths,
    attributions,
    associations,
    parentContexts,
    eventsOfSurvivingNodes: eventsOfSurvivingNodes(plan),
  };
  if (survivors.artifacts.length > 0) await refreshDerivedOwnership(tx, 'artifact', survivors.artifacts);
  if (survivors.executions.length > 0) await refreshDerivedOwnership(tx, 'execution', survivors.executions);
  return counts;
}

/** Members of the plan's contexts that the plan keeps (read before the memberships go). */
async function survivingMembersOf(tx: Tx, plan: PurgePlan): Promise<{ artifacts: number[]; executions: number[] }> {
  if (plan.contexts.length === 0) return { artifacts: [], executions: [] };
  const going = { artifacts: new Set(plan.artifacts), executions: new Set(plan.executions) };
  const artifacts = (await membershipsOfContexts(tx, 'Attribution', plan.contexts)).map((m) => m.nodeId).filter((id) => !going.artifacts.has(id));
  const executions = (await membershipsOfContexts(tx, 'Association', plan.contexts)).map((m) => m.nodeId).filter((id) => !going.executions.has(id));
  return { artifacts: [...new Set(artifacts)], executions: [...new Set(executions)] };
}
