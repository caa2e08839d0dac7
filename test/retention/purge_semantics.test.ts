import { beforeAll, expect, it } from 'vitest';
import { MLMD_TABLES } from '../../src/database/tables';
import type { Context } from '../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode } from '../../src/errors';
import { DEFAULT_BATCH_SIZE, Purger, type PurgeRequest } from '../../src/store/retention/purge';
import type { PurgeCounts } from '../../src/store/retention/purge_plan';
import { expectRejectedWithoutTrace, rowCounts, uniqueName } from '../support/store_assertions';
import { describeStore } from '../store/store_suite';
import { danglingReferences } from './integrity';
import { createKfpRun, createKfpTypes, createPipeline, type KfpRun, type KfpTypes } from './kubeflow_graph';

const request = (kind: PurgeRequest['kind'], filterQuery: string, extra: Partial<PurgeRequest> = {}): PurgeRequest => ({
  kind,
  filterQuery,
  dryRun: true,
  allowMatchAll: false,
  batchSize: DEFAULT_BATCH_SIZE,
  maxBatches: 0,
  ...extra,
});

/** Table row counts before minus after, for the tables that changed. */
function removed(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const diff: Record<string, number> = {};
  for (const t of MLMD_TABLES) if (before[t] !== after[t]) diff[t] = before[t] - after[t];
  return diff;
}

/** The PurgeCounts of a result, as table → rows (zero entries dropped), comparable with `removed`. */
function byTable(c: PurgeCounts): Record<string, number> {
  const t: Record<string, number> = {
    Context: c.contexts,
    ContextProperty: c.contextProperties,
    ParentContext: c.parentContexts,
    Execution: c.executions,
    ExecutionProperty: c.executionProperties,
    Artifact: c.artifacts,
    ArtifactProperty: c.artifactProperties,
    Event: c.events,
    EventPath: c.eventPaths,
    Attribution: c.attributions,
    Association: c.associations,
  };
  return Object.fromEntries(Object.entries(t).filter(([, n]) => n !== 0));
}

describeStore('purge on a Kubeflow-shaped graph', (ctx) => {
  let t: KfpTypes;
  let ns: string;
  let pipeline: Context;
  let run1: KfpRun;
  let run2: KfpRun;
  let purger: Purger;

  beforeAll(async () => {
    ns = uniqueName('kfp') + '.';
    const call = ctx().call;
    t = await createKfpTypes(call, ns);
    pipeline = await createPipeline(call, t, uniqueName('hello-pipeline'));
    run1 = await createKfpRun(call, t, pipeline, uniqueName('run1'));
    // run2's training reads run1's model: an artifact shared by two runs.
    run2 = await createKfpRun(call, t, pipeline, uniqueName('run2'), { sharedInput: run1.model });
    purger = new Purger(ctx().db);
  });

  const runFilter = (run: KfpRun) => `type = '${ns}system.PipelineRun' AND id = ${run.context}`;

  it('a dry run changes nothing and counts exactly what the real run then deletes: the run, its executions and its exclusive artifact', async () => {
    const db = ctx().db;
    const before = await rowCounts(db);
    const dry = await purger.purge(request('context', runFilter(run1)));
    expect(await rowCounts(db)).toEqual(before);
    expect(dry.dryRun).toBe(true);
    expect(dry.samples).toEqual({
      contexts: [Number(run1.context)],
      executions: run1.executions.map(Number),
      artifacts: [Number(run1.dataset)],
    });

    const real = await purger.purge(request('context', runFilter(run1), { dryRun: false }));
    const after = await rowCounts(db);
    expect(real.counts).toEqual(dry.counts);
    expect(real.batches).toBe(1);
    expect(real.complete).toBe(true);
    // Exactly the run's exclusive rows, table by table (all 15 tables compared):
    expect(removed(before, after)).toEqual({
      Context: 1, // the run context; the pipeline context survives
      ContextProperty: 3, // namespace, resource_name, pipeline_root
      ParentContext: 1, // run → pipeline
      Execution: 3, // root DAG and two container tasks
      ExecutionProperty: 1 + 3 + 3, // display_name; parent_dag_id, task_name, pod_name each
      Artifact: 1, // the dataset; the model is an input of run2
      ArtifactProperty: 1,
      Event: 3, // data OUTPUT, data INPUT, model OUTPUT
      EventPath: 3,
      Attribution: 3, // dataset ↔ run, dataset ↔ pipeline, model ↔ run
      Association: 6, // 3 executions × (run, pipeline)
    });
    expect(byTable(real.counts)).toEqual(removed(before, after));
    // The model's OUTPUT event was cut from a surviving artifact.
    expect(real.counts.eventsOfSurvivingNodes).toBe(1);
    expect(await danglingReferences(db.knex, (n) => db.table(n))).toEqual([]);
  });

  it('keeps the shared artifact, the pipeline and everything of the other run', async () => {
    const call = ctx().call;
    expect((await call('getContextsById', { contextIds: [run1.context, run2.context, pipeline.id!] })).contexts!.map((c) => c.id)).toEqual([
      pipeline.id,
      run2.context,
    ]);
    expect((await call('getArtifactsById', { artifactIds: [run1.dataset, run1.model] })).artifacts!.map((a) => a.id)).toEqual([run1.model]);
    const members = await call('getExecutionsByContext', { contextId: run2.context });
    expect(members.executions!.map((e) => e.id)).toEqual(run2.executions);
    const artifacts = await call('getArtifactsByContext', { contextId: run2.context });
    expect(artifacts.artifacts!.map((a) => a.id).sort()).toEqual([run1.model, run2.dataset, run2.model].sort());
    const events = await call('getEventsByExecutionIDs', { executionIds: run2.executions });
    expect(events.events).toHaveLength(4);
    expect((await call('getParentContextsByContext', { contextId: run2.context })).contexts!.map((c) => c.id)).toEqual([pipeline.id]);
    // The pipeline still holds the shared model (its attribution to run1 went with run1).
    expect((await call('getContextsByArtifact', { artifactId: run1.model })).contexts!.map((c) => c.id).sort()).toEqual(
      [pipeline.id, run2.context].sort(),
    );
  });

  it('the shared artifact goes with the last run that holds it', async () => {
    const db = ctx().db;
    const before = await rowCounts(db);
    const dry = await purger.purge(request('context', runFilter(run2)));
    expect(dry.samples.artifacts).toEqual([run1.model, run2.dataset, run2.model].map(Number).sort((a, b) => a - b));
    const real = await purger.purge(request('context', runFilter(run2), { dryRun: false }));
    expect(real.counts).toEqual(dry.counts);
    expect(byTable(real.counts)).toEqual(removed(before, await rowCounts(db)));
    expect(await danglingReferences(db.knex, (n) => db.table(n))).toEqual([]);
    // Only the pipeline context of this suite is left, with no members.
    expect((await ctx().call('getContextsByType', { typeName: `${ns}system.Pipeline` })).contexts!.map((c) => c.id)).toEqual([pipeline.id]);
    expect((await ctx().call('getExecutionsByContext', { contextId: pipeline.id })).executions).toEqual([]);
  });

  it('batches of one run end where one batch ends, with an execution and artifacts shared by chosen runs', async () => {
    const call = ctx().call;
    const db = ctx().db;
    const runs: KfpRun[] = [];
    for (let i = 0; i < 4; i++) runs.push(await createKfpRun(call, t, pipeline, uniqueName(`batch${i}`), { sharedInput: runs[i - 1]?.model }));
    // One execution associated with two chosen runs: it must go with the second.
    await call('putAttributionsAndAssociations', { associations: [{ contextId: runs[1].context, executionId: runs[0].executions[1] }] });
    const filter = `type = '${ns}system.PipelineRun' AND id >= ${runs[0].context} AND id <= ${runs[2].context}`;
    const dry = await purger.purge(request('context', filter));
    const before = await rowCounts(db);
    const real = await purger.purge(request('context', filter, { dryRun: false, batchSize: 1 }));
    expect(real.batches).toBe(3);
    expect(real.counts).toEqual(dry.counts);
    expect(byTable(real.counts)).toEqual(removed(before, await rowCounts(db)));
    // runs[2]'s model is read by runs[3], which survives.
    expect((await call('getArtifactsById', { artifactIds: [runs[2].model, runs[1].model] })).artifacts!.map((a) => a.id)).toEqual([runs[2].model]);
    expect(await danglingReferences(db.knex, (n) => db.table(n))).toEqual([]);
  });

  it('PurgeExecutions and PurgeArtifacts delete the chosen nodes with their events, paths, properties and memberships only', async () => {
    const call = ctx().call;
    const db = ctx().db;
    const run = await createKfpRun(call, t, pipeline, uniqueName('single'));
    const train = run.executions[2];
    const before = await rowCounts(db);
    const dry = await purger.purge(request('execution', `id = ${train}`));
    const real = await purger.purge(request('execution', `id = ${train}`, { dryRun: false }));
    expect(real.counts).toEqual(dry.counts);
    expect(removed(before, await rowCounts(db))).toEqual({ Execution: 1, ExecutionProperty: 3, Event: 2, EventPath: 2, Association: 2 });
    expect(real.counts.eventsOfSurvivingNodes).toBe(2);
    expect((await call('getArtifactsById', { artifactIds: [run.dataset, run.model] })).artifacts).toHaveLength(2);

    const mid = await rowCounts(db);
    const art = await purger.purge(request('artifact', `id = ${run.dataset}`, { dryRun: false }));
    expect(removed(mid, await rowCounts(db))).toEqual({ Artifact: 1, ArtifactProperty: 1, Event: 1, EventPath: 1, Attribution: 2 });
    expect(art.counts.eventsOfSurvivingNodes).toBe(1);
    expect((await call('getExecutionsById', { executionIds: [run.executions[1]] })).executions).toHaveLength(1);
    expect(await danglingReferences(db.knex, (n) => db.table(n))).toEqual([]);
  });

  it('keep_filter_query spares pinned runs, which a NOT in filter_query cannot express', async () => {
    const call = ctx().call;
    const pinned = await createKfpRun(call, t, pipeline, uniqueName('pinned'), { pinned: true });
    const unpinned = await createKfpRun(call, t, pipeline, uniqueName('unpinned'), { pinned: false });
    const plain = await createKfpRun(call, t, pipeline, uniqueName('plain'));
    const filter = `type = '${ns}system.PipelineRun' AND id >= ${pinned.context}`;
    const dry = await purger.purge(request('context', filter, { keepFilterQuery: 'custom_properties.pinned.bool_value = true' }));
    expect(dry.samples.contexts).toEqual([unpinned.context, plain.context].map(Number));
  });

  it('refuses bad input with INVALID_ARGUMENT or FAILED_PRECONDITION and deletes nothing', async () => {
    const db = ctx().db;
    const real = { dryRun: false };
    await expectRejectedWithoutTrace(db, () => purger.purge(request('context', '', real)), StatusCode.INVALID_ARGUMENT, /needs a filter_query/);
    await expectRejectedWithoutTrace(db, () => purger.purge(request('context', 'type = ', real)), StatusCode.INVALID_ARGUMENT, /filter_query/);
    await expectRejectedWithoutTrace(db, () => purger.purge(request('context', 'no_such_field = 1', real)), StatusCode.INVALID_ARGUMENT, /no_such_field/);
    await expectRejectedWithoutTrace(
      db,
      () => purger.purge(request('context', `type = '${ns}system.PipelineRun'`, { ...real, keepFilterQuery: 'custom_properties.x.bogus = 1' })),
      StatusCode.INVALID_ARGUMENT,
    );
    await expectRejectedWithoutTrace(db, () => purger.purge(request('context', 'id > 0', real)), StatusCode.FAILED_PRECONDITION, /allow_match_all/);
    await expectRejectedWithoutTrace(db, () => purger.purge(request('artifact', 'id > 0')), StatusCode.FAILED_PRECONDITION, /matches all/);
    await expectRejectedWithoutTrace(db, () => purger.purge(request('execution', "name != 'x' OR id > 0", real)), StatusCode.FAILED_PRECONDITION);
    await expectRejectedWithoutTrace(db, () => purger.purge(request('context', 'id > 0', { ...real, batchSize: 0 })), StatusCode.INVALID_ARGUMENT, /batch_size/);
    // With the flag the same filter runs (as a dry run here: counts everything).
    const all = await purger.purge(request('context', 'id > 0', { allowMatchAll: true }));
    expect(all.counts.contexts).toBe(Number((await rowCounts(db)).Context));
  });
});
