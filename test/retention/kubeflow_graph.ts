import { Event_Type, Execution_State, type Context } from '../../src/generated/ml_metadata/proto/metadata_store';
import type { RequestOf, ResponseOf, RpcMethod } from '../../src/store/rpc';

type Call = <M extends RpcMethod>(method: M, request: RequestOf<M>) => Promise<ResponseOf<M>>;

const { INPUT, OUTPUT } = Event_Type;

export interface KfpTypes {
  pipeline: bigint;
  run: bigint;
  dag: bigint;
  container: bigint;
  dataset: bigint;
  model: bigint;
}

export interface KfpRun {
  context: bigint;
  /** Root DAG, then the two container tasks. */
  executions: bigint[];
  /** Task 1's dataset (only this run uses it), task 2's model. */
  dataset: bigint;
  model: bigint;
}

/** The KFP v2 types (clients.md §3.1), schemaless as KFP creates them; `ns` keeps suites apart. */
export async function createKfpTypes(call: Call, ns = ''): Promise<KfpTypes> {
  const ctx = async (name: string) => (await call('putContextType', { contextType: { name: ns + name } })).typeId!;
  const exe = async (name: string) => (await call('putExecutionType', { executionType: { name: ns + name } })).typeId!;
  const art = async (name: string) => (await call('putArtifactType', { artifactType: { name: ns + name } })).typeId!;
  return {
    pipeline: await ctx('system.Pipeline'),
    run: await ctx('system.PipelineRun'),
    dag: await exe('system.DAGExecution'),
    container: await exe('system.ContainerExecution'),
    dataset: await art('system.Dataset'),
    model: await art('system.Model'),
  };
}

export async function createPipeline(call: Call, t: KfpTypes, name: string): Promise<Context> {
  const [id] = (await call('putContexts', { contexts: [{ typeId: t.pipeline, name }] })).contextIds!;
  return (await call('getContextsById', { contextIds: [id] })).contexts![0];
}

/**
 * One Kubeflow v2 run as the driver and launcher write it (clients.md §4): a run context
 * (child of the pipeline context, custom properties), the root DAG execution, a container
 * task producing a dataset, a second task reading the dataset (and `sharedInput`, an
 * artifact of another run, if given) and producing a model. Every execution is associated
 * with, and every artifact attributed to, both the pipeline and the run context; every event
 * has a path.
 */
export async function createKfpRun(
  call: Call,
  t: KfpTypes,
  pipeline: Context,
  name: string,
  options: { sharedInput?: bigint; pinned?: boolean; namespace?: string } = {},
): Promise<KfpRun> {
  const customProperties: Context['customProperties'] = {
    namespace: { stringValue: options.namespace ?? 'kubeflow' },
    resource_name: { stringValue: 'run-resource' },
    pipeline_root: { stringValue: `minio://mlpipeline/v2/artifacts/${pipeline.name}/${name}` },
  };
  if (options.pinned !== undefined) customProperties.pinned = { boolValue: options.pinned };
  const [runId] = (await call('putContexts', { contexts: [{ typeId: t.run, name, customProperties }] })).contextIds!;
  await call('putParentContexts', { parentContexts: [{ childId: runId, parentId: pipeline.id }] });
  const contexts = [pipeline, (await call('getContextsById', { contextIds: [runId] })).contexts![0]];

  const root = (
    await call('putExecution', {
      execution: { typeId: t.dag, name: `run/${name}`, lastKnownState: Execution_State.RUNNING, customProperties: { display_name: { stringValue: '' } } },
      contexts,
    })
  ).executionId!;
  const task = (taskName: string) => ({
    typeId: t.container,
    lastKnownState: Execution_State.COMPLETE,
    customProperties: { parent_dag_id: { intValue: root }, task_name: { stringValue: taskName }, pod_name: { stringValue: `${name}-${taskName}` } },
  });
  const produced = await call('putExecution', {
    execution: task('make-data'),
    contexts,
    artifactEventPairs: [
      {
        artifact: { typeId: t.dataset, uri: `minio://b/${name}/data`, customProperties: { display_name: { stringValue: 'data' } } },
        event: { type: OUTPUT, path: { steps: [{ key: 'data' }] } },
      },
    ],
  });
  const dataset = produced.artifactIds![0];
  const inputs = [{ event: { artifactId: dataset, type: INPUT, path: { steps: [{ key: 'data' }] } } }];
  if (options.sharedInput !== undefined) inputs.push({ event: { artifactId: options.sharedInput, type: INPUT, path: { steps: [{ key: 'base' }] } } });
  const trained = await call('putExecution', {
    execution: task('train'),
    contexts,
    artifactEventPairs: [
      ...inputs,
      {
        artifact: { typeId: t.model, uri: `minio://b/${name}/model`, customProperties: { display_name: { stringValue: 'model' } } },
        event: { type: OUTPUT, path: { steps: [{ key: 'model' }] } },
      } as never,
    ],
  });
  return { context: runId, executions: [root, produced.executionId!, trained.executionId!], dataset, model: trained.artifactIds!.at(-1)! };
}
