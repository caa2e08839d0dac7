import { beforeAll } from 'vitest';
import type { Database } from '../../../src/database';
import { PropertyType, type Artifact, type Context, type Execution } from '../../../src/generated/ml_metadata/proto/metadata_store';
import type { MlmdError, StatusCode } from '../../../src/errors';
import type { RequestOf, RpcMethod } from '../../../src/store/rpc';
import { expectRejectedWithoutTrace, uniqueName } from '../../support/store_assertions';
import type { StoreUnderTest } from '../store_suite';

export interface Types {
  artifact: bigint;
  execution: bigint;
  context: bigint;
  /** A second context type, for the pipeline / pipeline-run pair. */
  run: bigint;
}

/** One type of each kind, each declaring `p: INT`, through the type RPCs. */
export async function createTypes(ctx: StoreUnderTest): Promise<Types> {
  const properties = { p: PropertyType.INT };
  const { typeId: artifact } = await ctx.call('putArtifactType', { artifactType: { name: uniqueName('a'), properties } });
  const { typeId: execution } = await ctx.call('putExecutionType', { executionType: { name: uniqueName('e'), properties } });
  const { typeId: context } = await ctx.call('putContextType', { contextType: { name: uniqueName('c'), properties } });
  const { typeId: run } = await ctx.call('putContextType', { contextType: { name: uniqueName('run'), properties } });
  return { artifact: artifact!, execution: execution!, context: context!, run: run! };
}

/**
 * Registers a beforeAll that creates the suite's `Types`, and returns them (readable once the
 * suite runs) with builders of new request nodes of those types and readers by id.
 */
export function suiteNodes(ctx: () => StoreUnderTest) {
  let created: Types | undefined;
  beforeAll(async () => {
    created = await createTypes(ctx());
  });
  const types = (): Types => {
    if (!created) throw new Error('suite types are created in beforeAll: read them inside a test');
    return created;
  };
  const t: Types = {
    get artifact() {
      return types().artifact;
    },
    get execution() {
      return types().execution;
    },
    get context() {
      return types().context;
    },
    get run() {
      return types().run;
    },
  };
  return {
    t,
    artifact: (extra: Partial<Artifact> = {}): Artifact => ({ typeId: t.artifact, uri: `/u/${uniqueName('x')}`, ...extra }),
    execution: (extra: Partial<Execution> = {}): Execution => ({ typeId: t.execution, ...extra }),
    context: (extra: Partial<Context> = {}): Context => ({ typeId: t.context, name: uniqueName('ctx'), ...extra }),
    getArtifact: async (id: bigint) => (await ctx().call('getArtifactsById', { artifactIds: [id] })).artifacts![0],
    getExecution: async (id: bigint) => (await ctx().call('getExecutionsById', { executionIds: [id] })).executions![0],
    getContext: async (id: bigint) => (await ctx().call('getContextsById', { contextIds: [id] })).contexts![0],
  };
}

/**
 * Calls `method`, which must fail with `code`, and checks that the database is exactly as
 * before (row counts of every table). Returns the error for further checks.
 */
export function expectRejected<M extends RpcMethod>(
  ctx: StoreUnderTest,
  method: M,
  request: RequestOf<M>,
  code: StatusCode,
  phrase?: RegExp,
): Promise<MlmdError> {
  return expectRejectedWithoutTrace(ctx.db, () => ctx.call(method, request), code, phrase);
}

/** Member ids of a context straight from the membership tables, ascending. */
export async function membersOf(db: Database, contextId: bigint): Promise<{ artifacts: number[]; executions: number[] }> {
  const ids = async (table: 'Attribution' | 'Association', column: string) =>
    ((await db.knex(db.table(table)).select(column).where('context_id', Number(contextId)).orderBy(column)) as Record<string, number>[]).map(
      (r) => Number(r[column]),
    );
  return { artifacts: await ids('Attribution', 'artifact_id'), executions: await ids('Association', 'execution_id') };
}
