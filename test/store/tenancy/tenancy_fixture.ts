import { Event_Type as EventType, PropertyType, type Value } from '../../../src/generated/ml_metadata/proto/metadata_store';
import type { TenancyDenial, TenancyScope } from '../../../src/store/tenancy/tenancy_scope';
import type { StoreUnderTest } from '../store_suite';
import { uniqueName } from '../../support/store_assertions';

/**
 * Two Kubeflow namespaces' runs written the way Kubeflow's driver writes them (PutExecution
 * with the run context and the shared pipeline context), an artifact used by runs of both,
 * and TFX-style unowned data; with the owners each node should have, kept here
 * independently of the server's ownership table, so the tests can compute who may see what.
 */
export interface TenancyWorld {
  nsA: string;
  nsB: string;
  types: { run: bigint; pipeline: bigint; container: bigint; artifact: bigint; plain: bigint };
  pipelineContext: number;
  runA: number;
  runB: number;
  execA: number;
  execB: number;
  artifactA: number;
  artifactB: number;
  sharedArtifact: number;
  tfxArtifact: number;
  tfxExecution: number;
  /** Every node the world created, with its expected owners. */
  owners: Map<string, Set<string>>;
}

export const key = (kind: 'artifact' | 'execution' | 'context', id: number | bigint) => `${kind}:${Number(id)}`;
const str = (stringValue: string): Value => ({ stringValue });

export async function buildWorld(ctx: StoreUnderTest): Promise<TenancyWorld> {
  const call = ctx.store.call.bind(ctx.store);
  const nsA = uniqueName('team-a');
  const nsB = uniqueName('team-b');
  const run = (await call('putContextType', { contextType: { name: 'system.PipelineRun', properties: {} } })).typeId!;
  const pipeline = (await call('putContextType', { contextType: { name: 'system.Pipeline', properties: {} } })).typeId!;
  const container = (await call('putExecutionType', { executionType: { name: 'system.ContainerExecution', properties: {} } })).typeId!;
  const artifact = (await call('putArtifactType', { artifactType: { name: 'system.Artifact', properties: {} } })).typeId!;
  const plain = (await call('putArtifactType', { artifactType: { name: uniqueName('tfx_Examples'), properties: { split: PropertyType.STRING } } })).typeId!;

  const pipelineName = uniqueName('pipeline');
  const shared = (await call('putArtifacts', { artifacts: [{ typeId: artifact, uri: `s3://shared/${pipelineName}`, name: uniqueName('shared') }] })).artifactIds![0];

  // One Kubeflow task per namespace: the driver's PutExecution with both contexts.
  const task = async (ns: string) => {
    const response = await call('putExecution', {
      execution: { typeId: container, name: uniqueName('task'), customProperties: { namespace: str(ns), pod_name: str('p') } },
      artifactEventPairs: [
        { artifact: { typeId: artifact, uri: `s3://${ns}/out`, name: uniqueName('out') }, event: { type: EventType.OUTPUT } },
        { event: { artifactId: shared, type: EventType.INPUT } },
      ],
      contexts: [
        { typeId: pipeline, name: pipelineName },
        { typeId: run, name: uniqueName('run'), customProperties: { namespace: str(ns), resource_name: str('run-resource') } },
      ],
      options: { reuseContextIfAlreadyExist: true },
    });
    return { execution: Number(response.executionId), output: Number(response.artifactIds![0]), pipeline: Number(response.contextIds![0]), run: Number(response.contextIds![1]) };
  };
  const a = await task(nsA);
  const b = await task(nsB);
  // The shared input is attributed to both runs (as Kubeflow does for a task's inputs).
  await call('putAttributionsAndAssociations', {
    attributions: [
      { contextId: BigInt(a.run), artifactId: shared },
      { contextId: BigInt(b.run), artifactId: shared },
    ],
    associations: [],
  });
  // TFX-style: no run context, no namespace.
  const tfxArtifact = Number((await call('putArtifacts', { artifacts: [{ typeId: plain, uri: uniqueName('/tfx/'), properties: { split: str('train') } }] })).artifactIds![0]);
  const tfxExecution = Number((await call('putExecutions', { executions: [{ typeId: container, name: uniqueName('tfx_trainer') }] })).executionIds![0]);
  await call('putEvents', { events: [{ artifactId: BigInt(tfxArtifact), executionId: BigInt(tfxExecution), type: EventType.OUTPUT }] });

  const owners = new Map<string, Set<string>>([
    [key('context', a.pipeline), new Set()],
    [key('context', a.run), new Set([nsA])],
    [key('context', b.run), new Set([nsB])],
    [key('execution', a.execution), new Set([nsA])],
    [key('execution', b.execution), new Set([nsB])],
    [key('artifact', a.output), new Set([nsA])],
    [key('artifact', b.output), new Set([nsB])],
    [key('artifact', shared), new Set([nsA, nsB])],
    [key('artifact', tfxArtifact), new Set()],
    [key('execution', tfxExecution), new Set()],
  ]);
  return {
    nsA,
    nsB,
    types: { run, pipeline, container, artifact, plain },
    pipelineContext: a.pipeline,
    runA: a.run,
    runB: b.run,
    execA: a.execution,
    execB: b.execution,
    artifactA: a.output,
    artifactB: b.output,
    sharedArtifact: Number(shared),
    tfxArtifact,
    tfxExecution,
    owners,
  };
}

export interface ScopeOptions {
  mode?: 'audit' | 'enforce';
  readable: string[] | 'all';
  writable?: string[] | 'all';
  unownedVisible?: boolean;
  defaultNamespace?: string;
}

/** A scope plus the denials it was told about. */
export function scopeOf(options: ScopeOptions): TenancyScope & { denials: TenancyDenial[] } {
  const denials: TenancyDenial[] = [];
  const set = (v: string[] | 'all') => (v === 'all' ? 'all' : new Set(v));
  return {
    mode: options.mode ?? 'enforce',
    principal: 'test',
    readable: set(options.readable),
    writable: set(options.writable ?? options.readable),
    unownedVisible: options.unownedVisible ?? false,
    defaultNamespace: options.defaultNamespace,
    onDenial: (d) => denials.push(d),
    denials,
  };
}

/** The rule, evaluated independently of the server: any owner readable, or unowned and unowned visible. */
export function visibleTo(world: TenancyWorld, scope: TenancyScope, nodeKey: string): boolean {
  const owners = world.owners.get(nodeKey);
  if (owners === undefined) return true; // not part of the world: other tests' nodes are not asserted on
  if (scope.readable === 'all') return true;
  if (owners.size === 0) return scope.unownedVisible;
  return [...owners].some((ns) => (scope.readable as ReadonlySet<string>).has(ns));
}
