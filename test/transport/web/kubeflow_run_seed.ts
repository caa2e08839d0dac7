import { Event_Type, Execution_State, PropertyType } from '../../../src/generated/ml_metadata/proto/metadata_store';
import type { Outcome } from '../grpc_test_client';
import type { RpcMethod } from '../../../src/store/rpc';

export interface SeededRun {
  runName: string;
  namespace: string;
  contextId: bigint;
  executionIds: bigint[];
  artifactIds: bigint[];
  /** The URI of the first execution's output artifact. */
  modelUri: string;
}

type Call = (method: RpcMethod, request: unknown) => Promise<Outcome>;

async function ok<T>(pending: Promise<Outcome>): Promise<T> {
  const outcome = await pending;
  if (!outcome.ok) throw new Error(`seeding failed: ${outcome.code} ${outcome.details}`);
  return outcome.response as T;
}

/**
 * One Kubeflow Pipelines v2 run as its driver and launcher record it: a system.PipelineRun
 * context with its namespace, two container executions (the second reads the first's
 * output), their artifacts and events, written over gRPC.
 */
export async function seedKubeflowRun(call: Call, tag: string, namespace = 'team-a'): Promise<SeededRun> {
  const runName = `run-${tag}`;
  const { typeId: runTypeId } = await ok<{ typeId: bigint }>(
    call('putContextType', { contextType: { name: 'system.PipelineRun' }, canAddFields: true }),
  );
  const { typeId: execTypeId } = await ok<{ typeId: bigint }>(
    call('putExecutionType', { executionType: { name: 'system.ContainerExecution', properties: { display_name: PropertyType.STRING } }, canAddFields: true }),
  );
  const { typeId: modelTypeId } = await ok<{ typeId: bigint }>(call('putArtifactType', { artifactType: { name: 'system.Model' }, canAddFields: true }));
  const { typeId: datasetTypeId } = await ok<{ typeId: bigint }>(call('putArtifactType', { artifactType: { name: 'system.Dataset' }, canAddFields: true }));

  const context = {
    typeId: runTypeId,
    name: runName,
    customProperties: { namespace: { stringValue: namespace }, resource_name: { stringValue: `${runName}-xyz` } },
  };
  const modelUri = `minio://mlpipeline/v2/artifacts/${runName}/train/model`;
  const model = { typeId: modelTypeId, uri: modelUri, customProperties: { display_name: { stringValue: 'model' }, accuracy: { doubleValue: 0.93 } } };
  const first = await ok<{ executionId: bigint; artifactIds: bigint[]; contextIds: bigint[] }>(
    call('putExecution', {
      execution: { typeId: execTypeId, name: `${runName}-train`, lastKnownState: Execution_State.COMPLETE, customProperties: { display_name: { stringValue: 'train ✓' } } },
      artifactEventPairs: [
        { artifact: model, event: { type: Event_Type.OUTPUT, path: { steps: [{ key: 'model' }] } } },
        { artifact: { typeId: datasetTypeId, uri: `minio://mlpipeline/v2/artifacts/${runName}/train/metrics` }, event: { type: Event_Type.OUTPUT, path: { steps: [{ key: 'metrics' }] } } },
      ],
      contexts: [context],
    }),
  );
  const contextId = first.contextIds[0];
  const second = await ok<{ executionId: bigint; artifactIds: bigint[] }>(
    call('putExecution', {
      execution: { typeId: execTypeId, name: `${runName}-eval`, lastKnownState: Execution_State.RUNNING },
      artifactEventPairs: [
        // PutExecution writes the artifact it is given whole: the input is passed as stored.
        { artifact: { ...model, id: first.artifactIds[0] }, event: { type: Event_Type.INPUT, path: { steps: [{ key: 'model' }] } } },
        { artifact: { typeId: datasetTypeId, uri: `minio://mlpipeline/v2/artifacts/${runName}/eval/report` }, event: { type: Event_Type.OUTPUT } },
      ],
      contexts: [{ ...context, id: contextId }],
    }),
  );
  return {
    runName,
    namespace,
    contextId,
    executionIds: [first.executionId, second.executionId],
    artifactIds: [...first.artifactIds, second.artifactIds[1]],
    modelUri,
  };
}
