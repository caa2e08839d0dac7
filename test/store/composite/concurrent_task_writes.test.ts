import { expect, it } from 'vitest';
import { Event_Type, Execution_State, type Context } from '../../../src/generated/ml_metadata/proto/metadata_store';
import type { PutExecutionRequest } from '../../../src/generated/ml_metadata/proto/metadata_store_service';
import { isMlmdError, StatusCode } from '../../../src/errors';
import type { ResponseOf } from '../../../src/store/rpc';
import { startServer } from '../../../src/transport/server';
import { callRpc, mlmdClient } from '../../transport/grpc_test_client';
import { uniqueName } from '../../support/store_assertions';
import { describeStore } from '../store_suite';
import { membersOf, suiteNodes } from './composite_fixtures';

const TASKS = 64;

/**
 * Kubeflow's fan-out (clients.md §4): every task of a run writes its execution with an input
 * and an output artifact, and re-sends the run's two contexts (pipeline + pipeline run).
 * Here all tasks start at once against contexts that do not exist yet, so the first ones
 * race to create them.
 */
describeStore('PutExecution under a Kubeflow-style fan-out', (ctx) => {
  const { t } = suiteNodes(ctx);

  const task = (i: number, contexts: Context[]): PutExecutionRequest => ({
    execution: {
      typeId: t.execution,
      lastKnownState: Execution_State.RUNNING,
      customProperties: { task_name: { stringValue: `task-${i}` }, pod_name: { stringValue: `pod-${i}` } },
    },
    artifactEventPairs: [
      { artifact: { typeId: t.artifact, uri: `minio://in/${i}` }, event: { type: Event_Type.INPUT, path: { steps: [{ key: 'in' }] } } },
      { artifact: { typeId: t.artifact, uri: `minio://out/${i}` }, event: { type: Event_Type.OUTPUT, path: { steps: [{ key: 'out' }] } } },
    ],
    contexts,
    options: { reuseContextIfAlreadyExist: true },
  });

  /** The transaction re-runs since `from`, counted by reason, for the log. */
  const reruns = (from: number) => JSON.stringify(ctx().retries.slice(from).reduce<Record<string, number>>((n, r) => ({ ...n, [r]: (n[r] ?? 0) + 1 }), {}));

  /** Runs every request at once; answers the responses, failing on any rejected call. */
  async function fanOut(requests: PutExecutionRequest[]) {
    const settled = await Promise.allSettled(requests.map((r) => ctx().call('putExecution', r)));
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
    // No ABORTED (nor anything else) reaches a client: conflicts are retried in the server.
    expect(failures.filter((e) => isMlmdError(e) && e.code === StatusCode.ABORTED)).toEqual([]);
    expect(failures.map((e) => e.message)).toEqual([]);
    return settled.map((s) => (s as PromiseFulfilledResult<ResponseOf<'putExecution'>>).value);
  }

  it(`${TASKS} parallel task writes creating the run contexts all succeed and share one context each`, async () => {
    const pipeline = uniqueName('pipeline');
    const run = uniqueName('run');
    const contexts: Context[] = [
      { typeId: t.context, name: pipeline },
      { typeId: t.run, name: run, customProperties: { namespace: { stringValue: 'kubeflow' } } },
    ];
    const retriesBefore = ctx().retries.length;
    const responses = await fanOut(Array.from({ length: TASKS }, (_, i) => task(i, contexts)));

    const contextIds = new Set(responses.map((r) => r.contextIds!.join(',')));
    expect(contextIds.size).toBe(1);
    const [pipelineId, runId] = responses[0].contextIds!;
    const stored = await ctx().call('getContextsByType', { typeName: (await ctx().call('getContextTypesById', { typeIds: [t.run] })).contextTypes![0].name });
    expect(stored.contexts!.filter((c) => c.name === run).map((c) => c.id)).toEqual([runId]);
    for (const id of [pipelineId, runId]) {
      const members = await membersOf(ctx().db, id);
      expect(members.executions).toHaveLength(TASKS);
      expect(members.artifacts).toHaveLength(2 * TASKS);
    }
    const executionIds = responses.map((r) => r.executionId!);
    expect(new Set(executionIds).size).toBe(TASKS);
    const { events } = await ctx().call('getEventsByExecutionIDs', { executionIds });
    expect(events).toHaveLength(2 * TASKS);
    console.log(`[${ctx().backend.name}] creating fan-out: re-runs inside the server: ${reruns(retriesBefore)}`);
  });

  it(`${TASKS} parallel task writes re-sending the stored run contexts with their ids all succeed`, async () => {
    const { contextIds } = await ctx().call('putContexts', {
      contexts: [
        { typeId: t.context, name: uniqueName('pipeline') },
        { typeId: t.run, name: uniqueName('run'), customProperties: { namespace: { stringValue: 'kubeflow' } } },
      ],
    });
    // As Kubeflow sends them: the contexts exactly as read back, ids and timestamps included.
    const contexts = (await ctx().call('getContextsById', { contextIds })).contexts!;
    const retriesBefore = ctx().retries.length;
    const responses = await fanOut(Array.from({ length: TASKS }, (_, i) => task(i, contexts)));
    expect(responses.every((r) => r.contextIds!.join() === contextIds!.join())).toBe(true);
    // Nothing rewrote the shared rows.
    expect((await ctx().call('getContextsById', { contextIds })).contexts).toEqual(contexts);
    expect((await membersOf(ctx().db, contextIds![1])).executions).toHaveLength(TASKS);
    console.log(`[${ctx().backend.name}] fan-out on stored contexts: re-runs inside the server: ${reruns(retriesBefore)}`);
  });
  it(`${TASKS} parallel tasks consuming one upstream artifact by id and producing their own all succeed`, async () => {
    const { contextIds } = await ctx().call('putContexts', {
      contexts: [
        { typeId: t.context, name: uniqueName('pipeline') },
        { typeId: t.run, name: uniqueName('run') },
      ],
    });
    const contexts = (await ctx().call('getContextsById', { contextIds })).contexts!;
    // The producer task publishes the shared artifact, attributing it to both contexts.
    const producer = await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      artifactEventPairs: [{ artifact: { typeId: t.artifact, uri: 'minio://shared' }, event: { type: Event_Type.OUTPUT } }],
      contexts,
    });
    const shared = producer.artifactIds![0];
    const retriesBefore = ctx().retries.length;
    const responses = await fanOut(
      Array.from({ length: TASKS }, (_, i) => ({
        execution: { typeId: t.execution, lastKnownState: Execution_State.COMPLETE },
        artifactEventPairs: [
          { event: { artifactId: shared, type: Event_Type.INPUT, path: { steps: [{ key: 'in' }] } } },
          { artifact: { typeId: t.artifact, uri: `minio://out/${i}` }, event: { type: Event_Type.OUTPUT } },
        ],
        contexts,
      })),
    );
    expect(responses.every((r) => r.artifactIds![0] === shared)).toBe(true);
    const members = await membersOf(ctx().db, contextIds![1]);
    expect(members.executions).toHaveLength(TASKS + 1);
    expect(members.artifacts).toHaveLength(TASKS + 1);
    console.log(`[${ctx().backend.name}] fan-out on a shared input: re-runs inside the server: ${reruns(retriesBefore)}`);
  });
  it(`${TASKS} parallel task writes creating the run contexts through a gRPC server all answer OK`, async () => {
    const server = await startServer({ store: ctx().store, port: 0, host: '127.0.0.1', reflection: false });
    const client = mlmdClient(server.port);
    try {
      const contexts: Context[] = [
        { typeId: t.context, name: uniqueName('pipeline') },
        { typeId: t.run, name: uniqueName('run') },
      ];
      const retriesBefore = ctx().retries.length;
      const outcomes = await Promise.all(Array.from({ length: TASKS }, (_, i) => callRpc(client, 'putExecution', task(i, contexts))));
      // What a Kubeflow or Python client would see: the status of every call.
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
      const ids = new Set(outcomes.map((o) => (o.ok ? (o.response as ResponseOf<'putExecution'>).contextIds!.join() : '')));
      expect(ids.size).toBe(1);
      console.log(`[${ctx().backend.name}] creating fan-out over gRPC: re-runs inside the server: ${reruns(retriesBefore)}`);
    } finally {
      client.close();
      await server.shutdown(1_000);
    }
  });
});
