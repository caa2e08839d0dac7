import { beforeAll, expect, it } from 'vitest';
import { Event_Type as EventType } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { statementsDuring } from '../../support/store_assertions';
import { describeStore } from '../store_suite';
import { scopeOf } from './tenancy_fixture';

/**
 * The visibility filter stays a probe per candidate row on a database whose statistics lag
 * the ownership table (as right after a back-fill, or before PostgreSQL's autovacuum has
 * analysed it): GetEventsByExecutionIDs for one run's executions filters its events by two
 * EXISTS on the ownership table. PostgreSQL turned them into joins driven from the ownership
 * rows of the whole namespace and probed Event once per (artifact, execution) pair of it.
 */
describeStore('Tenancy: visibility filter plans', (ctx) => {
  const RUNS = 60;
  const TASKS = 5;
  let runExecutions: bigint[];
  let runArtifacts: bigint[];

  beforeAll(async () => {
    const store = ctx().store;
    const runType = (await store.call('putContextType', { contextType: { name: 'system.PipelineRun' } }, {})).typeId!;
    const taskType = (await store.call('putExecutionType', { executionType: { name: 'plans.Task' } }, {})).typeId!;
    const dataType = (await store.call('putArtifactType', { artifactType: { name: 'plans.Data' } }, {})).typeId!;
    for (let r = 0; r < RUNS; r++) {
      const namespace = r % 2 === 0 ? 'team-a' : 'team-b';
      const run = { typeId: runType, name: `plans-run-${r}`, customProperties: { namespace: { stringValue: namespace } } };
      const [runId] = (await store.call('putContexts', { contexts: [run] }, {})).contextIds!;
      const executions: bigint[] = [];
      const artifacts: bigint[] = [];
      for (let t = 0; t < TASKS; t++) {
        const answer = await store.call(
          'putExecution',
          {
            execution: { typeId: taskType, name: `plans-${r}-${t}` },
            artifactEventPairs: [{ artifact: { typeId: dataType, uri: `s3://plans/${r}/${t}` }, event: { type: EventType.OUTPUT } }],
            contexts: [{ ...run, id: runId }],
          },
          {},
        );
        executions.push(answer.executionId!);
        artifacts.push(answer.artifactIds![0]);
      }
      if (r === 0) [runExecutions, runArtifacts] = [executions, artifacts];
    }
  }, 120_000);

  it('answers a run\'s events for its namespace, and on PostgreSQL probes Event only from the requested executions', async () => {
    const scope = scopeOf({ readable: ['team-a'] });
    const { result, sql } = await statementsDuring(ctx().db, () =>
      ctx().store.call('getEventsByExecutionIDs', { executionIds: runExecutions }, { tenancy: scope }),
    );
    expect((result.events ?? []).map((e) => [e.artifactId, e.executionId])).toEqual(runExecutions.map((x, i) => [runArtifacts[i], x]));
    if (ctx().db.dialect !== 'postgres') return;

    const filtered = sql.find((s) => /from "event"/i.test(s) && s.includes('mlmd_ts_node_namespace'));
    expect(filtered, 'the events statement carries the visibility filter').toBeDefined();
    // The same statement, analysed: how often each plan node ran.
    const literal = filtered!.replace(/\$(\d+)/g, '?');
    const bindings = [...runExecutions.map(Number), 'team-a', 'team-a'];
    const plan = (await ctx().db.knex.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${literal}`, bindings)) as { rows: { 'QUERY PLAN': unknown }[] };
    const loopsOnEvent: number[] = [];
    const walk = (node: Record<string, unknown>) => {
      if (node['Relation Name'] === 'event') loopsOnEvent.push(Number(node['Actual Loops']));
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    walk(((plan.rows[0]['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]).Plan);
    expect(loopsOnEvent.length).toBeGreaterThan(0);
    // One index scan of Event for the requested executions, not one per owned pair (old plan: 150 × 150).
    expect(Math.max(...loopsOnEvent)).toBeLessThanOrEqual(TASKS);
  });
});
