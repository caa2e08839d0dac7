import type { Database, Tx } from '../../database/database';
import { compileFilter } from '../../filter';
import {
  chosenNodeIds,
  countChosen,
  countNodes,
  eventsOfArtifacts,
  eventsOfExecutions,
  lockNodes,
  membershipsOfContexts,
  membershipsOfMembers,
  parentLinksOf,
  type PurgeNodeTable,
} from '../../repositories/purge_repository';
import { aborted, failedPrecondition, invalidArgument, RetryTransaction } from '../../errors';
import { existingNodeIds } from '../../repositories/node_existence';
import { addCounts, countPlan, cutEventEnds, deletePlan, planPurge, plannedNodes, ZERO_COUNTS, type PurgeCounts, type PurgeKind, type PurgePlan } from './purge_plan';

export const DEFAULT_BATCH_SIZE = 1000;
/** Ids of each kind a result lists. */
export const MAX_SAMPLES = 100;
/** Larger batches would make one transaction hold locks for long; the API refuses them. */
export const MAX_BATCH_SIZE = 100_000;

const NODE_TABLE: Record<PurgeKind, PurgeNodeTable> = { context: 'Context', execution: 'Execution', artifact: 'Artifact' };
const RPC_NAME: Record<PurgeKind, string> = { context: 'PurgeContexts', execution: 'PurgeExecutions', artifact: 'PurgeArtifacts' };

export interface PurgeRequest {
  kind: PurgeKind;
  /** Required MLMD filter_query choosing the nodes. */
  filterQuery: string;
  /** Nodes matching this filter are never chosen (e.g. pinned runs). */
  keepFilterQuery?: string;
  dryRun: boolean;
  allowMatchAll: boolean;
  /** Chosen nodes per batch; also bounds a context batch's total nodes (see runBatch). */
  batchSize: number;
  /** 0: until nothing matches. */
  maxBatches: number;
}

export interface PurgeSamples {
  contexts: number[];
  executions: number[];
  artifacts: number[];
}

export interface PurgeResult {
  dryRun: boolean;
  counts: PurgeCounts;
  samples: PurgeSamples;
  batches: number;
  complete: boolean;
}

/** Reported after every committed batch of a real run. */
export interface BatchReport {
  kind: PurgeKind;
  batch: number;
  counts: PurgeCounts;
  totals: PurgeCounts;
  seconds: number;
}

export interface PurgeHooks {
  onBatch?(report: BatchReport): void;
  /** Checked before each batch: a shutting-down server stops between batches. */
  signal?: AbortSignal;
}

/**
 * The purge: validates the request, then either counts (dry run, one read transaction) or
 * deletes in batches, each its own short transaction that chooses the lowest remaining
 * matching ids, plans and deletes them. Nothing is kept between batches, so an interrupted
 * purge is completed by running the same request again.
 */
export class Purger {
  constructor(private readonly db: Database) {}

  async purge(request: PurgeRequest, hooks: PurgeHooks = {}): Promise<PurgeResult> {
    validatePurgeRequest(request);
    await this.db.transaction((tx) => refuseMatchAll(tx, request), { readOnly: true });
    if (request.dryRun) return this.db.transaction((tx) => dryRun(tx, request), { readOnly: true });

    let totals = { ...ZERO_COUNTS };
    const samples: PurgeSamples = { contexts: [], executions: [], artifacts: [] };
    let chunk = request.batchSize;
    let batches = 0;
    const cut = { artifacts: [] as number[], executions: [] as number[] };
    // A batch counts the events it cut from nodes that survive it, but a later batch may
    // delete such a node; the result counts those still there at the end, as the dry run does.
    const finish = async (complete: boolean): Promise<PurgeResult> => {
      const surviving = await this.db.transaction((tx) => existingNodeIds(tx, { Artifact: cut.artifacts, Execution: cut.executions }), { readOnly: true });
      const eventsOfSurvivingNodes =
        cut.artifacts.filter((id) => surviving.Artifact.has(id)).length + cut.executions.filter((id) => surviving.Execution.has(id)).length;
      return { dryRun: false, counts: { ...totals, eventsOfSurvivingNodes }, samples, batches, complete };
    };
    for (;;) {
      if (request.maxBatches > 0 && batches >= request.maxBatches) {
        const left = await this.db.transaction(async (tx) => (await chosenNodeIds(tx, request, 1)).length, { readOnly: true });
        return finish(left === 0);
      }
      if (hooks.signal?.aborted) throw aborted(`${RPC_NAME[request.kind]} stopped after ${batches} batches: the server is shutting down; run it again to finish`);
      const started = process.hrtime.bigint();
      const done = await this.db.transaction((tx) => runBatch(tx, request, chunk), { readCommitted: true });
      if (!done) return finish(true);
      batches += 1;
      const ends = cutEventEnds(done.plan);
      cut.artifacts.push(...ends.artifacts);
      cut.executions.push(...ends.executions);
      chunk = done.nextChunk;
      totals = addCounts(totals, done.counts);
      addSamples(samples, done.plan);
      hooks.onBatch?.({ kind: request.kind, batch: batches, counts: done.counts, totals, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
      // Let the event loop read the calls that arrived during the batch, so that they queue
      // for a connection before the next batch does (better-sqlite3 answers synchronously: a
      // purge that never yields would hold a SQLite server's only connection to the end).
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** MlmdError(INVALID_ARGUMENT) for a request no purge could run; checked before any statement. */
export function validatePurgeRequest(request: PurgeRequest): void {
  const rpc = RPC_NAME[request.kind];
  if (request.filterQuery.trim() === '') {
    throw invalidArgument(`${rpc} needs a filter_query choosing the nodes to delete; an empty filter is refused`);
  }
  compileFilter(request.kind, request.filterQuery);
  if (request.keepFilterQuery) compileFilter(request.kind, request.keepFilterQuery);
  if (!Number.isInteger(request.batchSize) || request.batchSize < 1 || request.batchSize > MAX_BATCH_SIZE) {
    throw invalidArgument(`${rpc}: batch_size must be from 1 to ${MAX_BATCH_SIZE}`);
  }
}

/** A request that would delete every node of its kind needs allow_match_all. */
async function refuseMatchAll(tx: Tx, request: PurgeRequest): Promise<void> {
  if (request.allowMatchAll) return;
  const total = await countNodes(tx, NODE_TABLE[request.kind]);
  if (total === 0) return;
  const chosen = await countChosen(tx, request);
  if (chosen === total) {
    throw failedPrecondition(
      `${RPC_NAME[request.kind]}: the filter matches all ${total} ${NODE_TABLE[request.kind].toLowerCase()}s; ` +
        'set allow_match_all (CLI: --allow-match-all) to delete them all',
    );
  }
}

async function dryRun(tx: Tx, request: PurgeRequest): Promise<PurgeResult> {
  const chosen = await chosenNodeIds(tx, request);
  const plan = await planPurge(tx, request.kind, chosen);
  const samples: PurgeSamples = { contexts: [], executions: [], artifacts: [] };
  addSamples(samples, plan);
  return { dryRun: true, counts: await countPlan(tx, plan), samples, batches: 0, complete: true };
}

interface BatchOutcome {
  plan: PurgePlan;
  counts: PurgeCounts;
  /** How many nodes to choose next time. */
  nextChunk: number;
}

/**
 * One batch, inside one transaction: choose up to `chunk` ids, plan, and if the plan holds
 * more than batch_size nodes (a context takes its exclusive executions and artifacts along)
 * choose fewer and plan again, down to a single chosen node, whose plan always goes whole.
 * Then lock the nodes, delete, and check that no relation row names a deleted node (one
 * written since the plan was read): if one does, the batch rolls back and runs again.
 */
async function runBatch(tx: Tx, request: PurgeRequest, chunk: number): Promise<BatchOutcome | undefined> {
  let chosen = await chosenNodeIds(tx, request, chunk);
  if (chosen.length === 0) return undefined;
  let plan = await planPurge(tx, request.kind, chosen);
  let shrunk = false;
  while (plannedNodes(plan) > request.batchSize && chosen.length > 1) {
    chosen = chosen.slice(0, Math.max(1, Math.floor((chosen.length * request.batchSize) / plannedNodes(plan))));
    plan = await planPurge(tx, request.kind, chosen);
    shrunk = true;
  }
  // Start the next batch at the size that fitted (graphs of neighbouring runs are alike);
  // grow again while batches come out small.
  const nextChunk = shrunk ? chosen.length : Math.min(request.batchSize, chosen.length * 2);
  for (const [table, ids] of [
    ['Context', plan.contexts],
    ['Execution', plan.executions],
    ['Artifact', plan.artifacts],
  ] as const) {
    const present = await lockNodes(tx, table, ids);
    // A concurrent purge deleted some of them since they were read: plan again.
    if (present.size !== ids.length) throw new RetryTransaction(aborted(`${RPC_NAME[request.kind]}: a concurrent purge kept changing the same nodes`));
  }
  const counts = await deletePlan(tx, plan);
  if (await namesDeletedNode(tx, plan)) {
    throw new RetryTransaction(aborted(`${RPC_NAME[request.kind]}: concurrent writes kept linking new rows to the nodes being deleted`));
  }
  return { plan, counts, nextChunk };
}

async function namesDeletedNode(tx: Tx, plan: PurgePlan): Promise<boolean> {
  return (
    (await eventsOfExecutions(tx, plan.executions)).length > 0 ||
    (await eventsOfArtifacts(tx, plan.artifacts)).length > 0 ||
    (await membershipsOfMembers(tx, 'Association', plan.executions)).length > 0 ||
    (await membershipsOfMembers(tx, 'Attribution', plan.artifacts)).length > 0 ||
    (await membershipsOfContexts(tx, 'Association', plan.contexts)).length > 0 ||
    (await membershipsOfContexts(tx, 'Attribution', plan.contexts)).length > 0 ||
    (await parentLinksOf(tx, plan.contexts)).length > 0
  );
}

function addSamples(samples: PurgeSamples, plan: PurgePlan): void {
  const merge = (have: number[], more: number[]) => [...have, ...more.slice(0, MAX_SAMPLES)].sort((a, b) => a - b).slice(0, MAX_SAMPLES);
  samples.contexts = merge(samples.contexts, plan.contexts);
  samples.executions = merge(samples.executions, plan.executions);
  samples.artifacts = merge(samples.artifacts, plan.artifacts);
}
