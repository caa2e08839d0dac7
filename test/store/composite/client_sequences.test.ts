import { expect, it } from 'vitest';
import { Artifact_State, Event_Type, Execution_State } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { isUpdate, statementsDuring, uniqueName } from '../../support/store_assertions';
import { describeStore } from '../store_suite';
import { membersOf } from './composite_fixtures';

const { INPUT, OUTPUT } = Event_Type;

/** The composite writes of real clients' call sequences (clients.md §4 Kubeflow, §12 TFX). */
describeStore('PutExecution in client sequences', (ctx) => {
  it('replays the PutExecution calls of one Kubeflow v2 run (driver, launcher, publish, importer)', async () => {
    const call = ctx().call;
    const run = uniqueName('RUN');
    const { typeId: P } = await call('putContextType', { contextType: { name: uniqueName('system.Pipeline') } });
    const { typeId: R } = await call('putContextType', { contextType: { name: uniqueName('system.PipelineRun') } });
    const [c1] = (await call('putContexts', { contexts: [{ name: uniqueName('hello-pipeline'), typeId: P }] })).contextIds!;
    const [c2] = (
      await call('putContexts', {
        contexts: [{ name: run, typeId: R, customProperties: { namespace: { stringValue: 'kubeflow' }, resource_name: { stringValue: 'run-resource' } } }],
      })
    ).contextIds!;
    const runContexts = (await call('getContextsById', { contextIds: [c1, c2] })).contexts!;
    const { typeId: D } = await call('putExecutionType', { executionType: { name: uniqueName('system.DAGExecution') } });
    const { typeId: X } = await call('putExecutionType', { executionType: { name: uniqueName('system.ContainerExecution') } });
    const { typeId: T1 } = await call('putArtifactType', { artifactType: { name: uniqueName('system.Dataset') } });

    // Root DAG driver: the DAG execution with the two full contexts.
    const root = await call('putExecution', {
      execution: { typeId: D, name: `run/${run}`, lastKnownState: Execution_State.RUNNING, customProperties: { display_name: { stringValue: '' } } },
      contexts: runContexts,
    });
    expect(root).toEqual({ executionId: root.executionId, artifactIds: [], contextIds: [c1, c2] });
    const e0 = root.executionId!;

    // Container driver: the task's execution, contexts by id, an input artifact by id.
    const [upstream] = (await call('putArtifacts', { artifacts: [{ typeId: T1, uri: 'minio://up', state: Artifact_State.LIVE }] })).artifactIds!;
    const driver = await statementsDuring(ctx().db, () =>
      call('putExecution', {
        execution: {
          typeId: X,
          lastKnownState: Execution_State.RUNNING,
          customProperties: { parent_dag_id: { intValue: e0 }, pod_name: { stringValue: '' }, task_name: { stringValue: 'print-msg' } },
        },
        contexts: runContexts,
        artifactEventPairs: [{ event: { artifactId: upstream, type: INPUT, path: { steps: [{ key: 'in' }] } } }],
      }),
    );
    expect(driver.sql.filter(isUpdate)).toEqual([]);
    const e1 = driver.result.executionId!;
    expect(driver.result.artifactIds).toEqual([upstream]);

    // Launcher prePublish: the execution as read back (type, timestamps and all), pod fields filled.
    const [read] = (await call('getExecutionsById', { executionIds: [e1] })).executions!;
    const prePublish = await call('putExecution', {
      execution: { ...read, customProperties: { ...read.customProperties, pod_name: { stringValue: 'pod-1' } } },
    });
    expect(prePublish).toEqual({ executionId: e1, artifactIds: [], contextIds: [] });

    // Publish: COMPLETE, outputs created beforehand by PutArtifacts, event-only pairs, contexts again.
    const [a1, a2] = (
      await call('putArtifacts', {
        artifacts: [
          { typeId: T1, uri: 'minio://out', state: Artifact_State.LIVE },
          { typeId: T1, uri: 'minio://logs', state: Artifact_State.LIVE },
        ],
      })
    ).artifactIds!;
    const [current] = (await call('getExecutionsById', { executionIds: [e1] })).executions!;
    const publish = await statementsDuring(ctx().db, () =>
      call('putExecution', {
        execution: { ...current, lastKnownState: Execution_State.COMPLETE },
        contexts: runContexts,
        artifactEventPairs: [
          { event: { type: OUTPUT, path: { steps: [{ key: 'out' }] }, artifactId: a1 } },
          { event: { type: OUTPUT, path: { steps: [{ key: 'executor-logs' }] }, artifactId: a2 } },
        ],
      }),
    );
    // Only the execution row changes; the shared run contexts are not touched.
    expect(publish.sql.filter(isUpdate)).toHaveLength(1);
    expect(publish.sql.filter(isUpdate)[0]).toMatch(/execution/i);
    const [done] = (await call('getExecutionsById', { executionIds: [e1] })).executions!;
    expect(done.lastKnownState).toBe(Execution_State.COMPLETE);
    expect(done.customProperties!.pod_name).toEqual({ stringValue: 'pod-1' });
    const outEvents = (await call('getEventsByArtifactIDs', { artifactIds: [a1] })).events!;
    expect(outEvents.map((e) => [e.executionId, e.type, e.millisecondsSinceEpoch! > 0n])).toEqual([[e1, OUTPUT, true]]);

    // Importer: a pair with a full new artifact and an event without artifact_id.
    const importer = await call('putExecution', {
      execution: { typeId: X, lastKnownState: Execution_State.COMPLETE },
      contexts: runContexts,
      artifactEventPairs: [{ artifact: { typeId: T1, uri: 'gs://imported' }, event: { type: OUTPUT, path: { steps: [{ key: 'artifact' }] } } }],
    });
    const imported = importer.artifactIds![0];

    const members = await membersOf(ctx().db, c2);
    expect(members.executions).toEqual([e0, e1, importer.executionId!].map(Number));
    expect(members.artifacts).toEqual([upstream, a1, a2, imported].map(Number));
    expect((await call('getContextsByExecution', { executionId: e1 })).contexts!.map((c) => c.id)).toEqual([c1, c2]);
    // The contexts are exactly as created.
    expect((await call('getContextsById', { contextIds: [c1, c2] })).contexts).toEqual(runContexts);
  });

  it('replays TFX register and publish with all reuse options set', async () => {
    const call = ctx().call;
    const { typeId: pipelineType } = await call('putContextType', { contextType: { name: uniqueName('pipeline') } });
    const { typeId: runType } = await call('putContextType', { contextType: { name: uniqueName('pipeline_run') } });
    const { typeId: nodeType } = await call('putContextType', { contextType: { name: uniqueName('node') } });
    const { typeId: trainer } = await call('putExecutionType', { executionType: { name: uniqueName('Trainer') } });
    const { typeId: model } = await call('putArtifactType', { artifactType: { name: uniqueName('Model') } });
    const [pipeline] = (await call('putContexts', { contexts: [{ typeId: pipelineType, name: uniqueName('p') }] })).contextIds!;
    const nodeName = uniqueName('p.Trainer');
    const [node] = (await call('putContexts', { contexts: [{ typeId: nodeType, name: nodeName }] })).contextIds!;
    const options = { reuseContextIfAlreadyExist: true, reuseArtifactIfAlreadyExistByExternalId: true, forceReuseContext: true };
    const runName = uniqueName('run');
    const contexts = [{ id: pipeline }, { typeId: runType, name: runName }, { typeId: nodeType, name: nodeName }];

    const register = await call('putExecution', { execution: { typeId: trainer, lastKnownState: Execution_State.RUNNING }, contexts, options });
    const [, runId, nodeId] = register.contextIds!;
    expect(register.contextIds![0]).toBe(pipeline);
    expect(nodeId).toBe(node);

    const externalId = uniqueName('model-ext');
    const publish = await call('putExecution', {
      execution: { id: register.executionId, typeId: trainer, lastKnownState: Execution_State.COMPLETE },
      artifactEventPairs: [{ artifact: { typeId: model, uri: '/m', externalId, state: Artifact_State.LIVE }, event: { type: OUTPUT } }],
      contexts: [{ id: pipeline }, { id: runId }, { id: nodeId }],
      options,
    });
    expect(publish.contextIds).toEqual([pipeline, runId, nodeId]);
    // A re-publish (TFX retry) sends the same artifact by external id: updated, not duplicated.
    const again = await call('putExecution', {
      execution: { id: register.executionId, typeId: trainer, lastKnownState: Execution_State.COMPLETE },
      artifactEventPairs: [{ artifact: { typeId: model, uri: '/m2', externalId, state: Artifact_State.LIVE } }],
      contexts: [{ id: pipeline }, { id: runId }, { id: nodeId }],
      options,
    });
    expect(again.artifactIds).toEqual(publish.artifactIds);
    const [stored] = (await call('getArtifactsById', { artifactIds: again.artifactIds })).artifacts!;
    expect(stored.uri).toBe('/m2');
    for (const id of [pipeline, runId, nodeId]) expect((await membersOf(ctx().db, id)).artifacts).toEqual(again.artifactIds!.map(Number));
  });
});
