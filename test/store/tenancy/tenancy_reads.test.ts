import { expect, it } from 'vitest';
import { ListOperationOptions_OrderByField_Field as Field, LineageSubgraphQueryOptions_Direction as Direction } from '../../../src/generated/ml_metadata/proto/metadata_store';
import type { MlmdError } from '../../../src/errors';
import type { TenancyScope } from '../../../src/store/tenancy/tenancy_scope';
import type { RequestOf, ResponseOf, RpcMethod } from '../../../src/store/rpc';
import { countStatements } from '../../support/store_assertions';
import { describeStore } from '../store_suite';
import { buildWorld, key, scopeOf, visibleTo, type TenancyWorld } from './tenancy_fixture';

describeStore('Tenancy: reads filtered by the caller scope', (ctx) => {
  const as = <M extends RpcMethod>(scope: TenancyScope | undefined, method: M, request: RequestOf<M>): Promise<ResponseOf<M>> =>
    ctx().store.call(method, request, scope ? { tenancy: scope } : {});
  const ids = (nodes: { id?: bigint }[] | undefined) => (nodes ?? []).map((n) => Number(n.id));
  const world = (): Promise<TenancyWorld> => buildWorld(ctx());
  /** The world's nodes of `kind` the scope may see, by the independent rule, ascending. */
  const expected = (w: TenancyWorld, scope: TenancyScope, kind: 'artifact' | 'execution' | 'context') =>
    [...w.owners.keys()]
      .filter((k) => k.startsWith(`${kind}:`) && visibleTo(w, scope, k))
      .map((k) => Number(k.split(':')[1]))
      .sort((a, b) => a - b);
  const inWorld = (w: TenancyWorld, kind: 'artifact' | 'execution' | 'context', found: number[]) => found.filter((id) => w.owners.has(key(kind, id)));

  it('lists and by-id reads answer exactly what each principal may see', async () => {
    const w = await world();
    const principals = [
      scopeOf({ readable: [w.nsA] }),
      scopeOf({ readable: [w.nsB] }),
      scopeOf({ readable: [w.nsA], unownedVisible: true }),
      scopeOf({ readable: [w.nsA, w.nsB] }),
      scopeOf({ readable: [] }),
      scopeOf({ readable: [], unownedVisible: true }),
      scopeOf({ readable: 'all' }),
    ];
    const allIds = (kind: 'artifact' | 'execution' | 'context') =>
      [...w.owners.keys()].filter((k) => k.startsWith(`${kind}:`)).map((k) => BigInt(k.split(':')[1]));
    for (const scope of principals) {
      for (const [kind, list, byId] of [
        ['artifact', 'getArtifacts', 'getArtifactsById'],
        ['execution', 'getExecutions', 'getExecutionsById'],
        ['context', 'getContexts', 'getContextsById'],
      ] as const) {
        const listed = (await as(scope, list, {})) as { artifacts?: []; executions?: []; contexts?: [] };
        const nodes = listed.artifacts ?? listed.executions ?? listed.contexts;
        expect(inWorld(w, kind, ids(nodes)), `${list} for ${[...(scope.readable as Set<string>)]}`).toEqual(expected(w, scope, kind));
        const request =
          byId === 'getArtifactsById' ? { artifactIds: allIds(kind) } : byId === 'getExecutionsById' ? { executionIds: allIds(kind) } : { contextIds: allIds(kind) };
        const found = (await as(scope, byId, request as never)) as { artifacts?: []; executions?: []; contexts?: [] };
        expect(ids(found.artifacts ?? found.executions ?? found.contexts)).toEqual(expected(w, scope, kind));
      }
    }
  });

  it('pages stay full and page tokens stay valid, for every order and with a filter_query', async () => {
    const w = await world();
    // Both namespaces readable: the other worlds' nodes of this file are owned elsewhere.
    const scope = scopeOf({ readable: [w.nsA, w.nsB] });
    const want = expected(w, scope, 'artifact');
    for (const field of [Field.ID, Field.CREATE_TIME, Field.LAST_UPDATE_TIME]) {
      for (const filterQuery of [undefined, "uri LIKE 's3://%'"]) {
        const seen: number[] = [];
        let token: string | undefined;
        do {
          const page = await as(scope, 'getArtifacts', {
            options: { maxResultSize: 2, orderByField: { field, isAsc: true }, nextPageToken: token, filterQuery },
          });
          const pageIds = ids(page.artifacts);
          if (page.nextPageToken) expect(pageIds).toHaveLength(2);
          seen.push(...pageIds);
          token = page.nextPageToken || undefined;
        } while (token);
        expect([...seen].sort((a, b) => a - b), `order ${field} filter ${filterQuery}`).toEqual(want);
      }
    }
    // By type, paged: only this namespace's artifacts of the shared type.
    const a = scopeOf({ readable: [w.nsA] });
    const byType = await as(a, 'getArtifactsByType', { typeName: 'system.Artifact', options: { maxResultSize: 1 } });
    expect(byType.artifacts).toHaveLength(1);
    const rest = await as(a, 'getArtifactsByType', { typeName: 'system.Artifact', options: { maxResultSize: 1, nextPageToken: byType.nextPageToken } });
    expect(inWorld(w, 'artifact', [...ids(byType.artifacts), ...ids(rest.artifacts)])).toEqual(expected(w, a, 'artifact'));
  });

  it('by-type-and-name, by-URI and by-external-id reads treat invisible nodes as absent', async () => {
    const w = await world();
    const a = scopeOf({ readable: [w.nsA] });
    const [artifactB] = (await as(undefined, 'getArtifactsById', { artifactIds: [BigInt(w.artifactB)] })).artifacts!;
    const [artifactA] = (await as(undefined, 'getArtifactsById', { artifactIds: [BigInt(w.artifactA)] })).artifacts!;
    expect((await as(a, 'getArtifactByTypeAndName', { typeName: 'system.Artifact', artifactName: artifactB.name })).artifact).toBeUndefined();
    expect((await as(a, 'getArtifactByTypeAndName', { typeName: 'system.Artifact', artifactName: artifactA.name })).artifact?.id).toBe(BigInt(w.artifactA));
    expect(ids((await as(a, 'getArtifactsByUri', { uris: [artifactA.uri!, artifactB.uri!] })).artifacts)).toEqual([w.artifactA]);

    const externalId = `ext-${w.nsB}`;
    await as(undefined, 'putArtifacts', { artifacts: [{ ...artifactB, externalId }] });
    const absent = await as(a, 'getArtifactsByExternalIds', { externalIds: [externalId] }).catch((e: MlmdError) => e);
    const reallyAbsent = await as(a, 'getArtifactsByExternalIds', { externalIds: [`${externalId}-none`] }).catch((e: MlmdError) => e);
    expect((absent as MlmdError).code).toBe((reallyAbsent as MlmdError).code);
    expect(ids((await as(scopeOf({ readable: [w.nsB] }), 'getArtifactsByExternalIds', { externalIds: [externalId] })).artifacts)).toEqual([w.artifactB]);
  });

  it('by-context reads: a foreign run is empty, a shared pipeline context is filtered, contexts of a foreign node are NOT_FOUND', async () => {
    const w = await world();
    const a = scopeOf({ readable: [w.nsA], unownedVisible: true });
    expect(ids((await as(a, 'getArtifactsByContext', { contextId: BigInt(w.runB) })).artifacts)).toEqual([]);
    expect(ids((await as(a, 'getExecutionsByContext', { contextId: BigInt(w.runB) })).executions)).toEqual([]);
    const paged = await as(a, 'getArtifactsByContext', { contextId: BigInt(w.runB), options: { maxResultSize: 5 } });
    expect(ids(paged.artifacts)).toEqual([]);
    expect(ids((await as(a, 'getArtifactsByContext', { contextId: BigInt(w.pipelineContext) })).artifacts)).toEqual([w.artifactA, w.sharedArtifact].sort((x, y) => x - y));
    const page = await as(a, 'getExecutionsByContext', { contextId: BigInt(w.pipelineContext), options: { maxResultSize: 5 } });
    expect(ids(page.executions)).toEqual([w.execA]);
    expect(ids((await as(a, 'getContextsByArtifact', { artifactId: BigInt(w.sharedArtifact) })).contexts)).toEqual(
      [w.pipelineContext, w.runA].sort((x, y) => x - y),
    );
    await expect(as(a, 'getContextsByExecution', { executionId: BigInt(w.execB) })).rejects.toMatchObject({ code: 5 });
    // The shared pipeline context is unowned: system-only hides it.
    const strict = scopeOf({ readable: [w.nsA] });
    expect(ids((await as(strict, 'getArtifactsByContext', { contextId: BigInt(w.pipelineContext) })).artifacts)).toEqual([]);
  });

  it('events, parent/child contexts and lineage never cross an invisible node', async () => {
    const w = await world();
    const a = scopeOf({ readable: [w.nsA] });
    const events = (await as(a, 'getEventsByArtifactIDs', { artifactIds: [BigInt(w.sharedArtifact)] })).events!;
    expect(events.map((e) => Number(e.executionId))).toEqual([w.execA]);
    expect((await as(undefined, 'getEventsByArtifactIDs', { artifactIds: [BigInt(w.sharedArtifact)] })).events).toHaveLength(2);
    expect((await as(a, 'getEventsByExecutionIDs', { executionIds: [BigInt(w.execB)] })).events).toEqual([]);

    await as(undefined, 'putParentContexts', { parentContexts: [{ childId: BigInt(w.runB), parentId: BigInt(w.runA) }] });
    expect(ids((await as(a, 'getChildrenContextsByContext', { contextId: BigInt(w.runA) })).contexts)).toEqual([]);
    expect(ids((await as(scopeOf({ readable: [w.nsA, w.nsB] }), 'getChildrenContextsByContext', { contextId: BigInt(w.runA) })).contexts)).toEqual([w.runB]);
    expect(ids((await as(a, 'getParentContextsByContext', { contextId: BigInt(w.runB) })).contexts)).toEqual([]);

    const lineage = async (scope: TenancyScope | undefined) =>
      (
        await as(scope, 'getLineageSubgraph', {
          lineageSubgraphQueryOptions: { startingArtifacts: { filterQuery: `id = ${w.sharedArtifact}` }, maxNumHops: 10n, direction: Direction.BIDIRECTIONAL },
        })
      ).lineageSubgraph!;
    const open = await lineage(undefined);
    expect(ids(open.executions)).toEqual([w.execA, w.execB]);
    const filtered = await lineage(a);
    expect(ids(filtered.executions)).toEqual([w.execA]);
    expect(ids(filtered.artifacts)).toEqual([w.artifactA, w.sharedArtifact].sort((x, y) => x - y));
    expect(filtered.events!.every((e) => Number(e.executionId) === w.execA)).toBe(true);
    expect(ids(filtered.contexts)).toEqual([w.runA]);
    await expect(lineage(scopeOf({ readable: [] }))).rejects.toMatchObject({ code: 5 });

    const graph = await as(a, 'getLineageGraph', { options: { artifactsOptions: { filterQuery: `id = ${w.sharedArtifact}` } } });
    expect(ids(graph.subgraph!.executions)).toEqual([w.execA]);
  });

  it('audit mode serves what off serves and reports what enforce would hide; system principals cost no statement', async () => {
    const w = await world();
    const audit = scopeOf({ mode: 'audit', readable: [w.nsA] });
    const request = { artifactIds: [w.artifactA, w.artifactB, w.sharedArtifact, w.tfxArtifact].map(BigInt) };
    const off = await as(undefined, 'getArtifactsById', request);
    expect(await as(audit, 'getArtifactsById', request)).toEqual(off);
    expect(audit.denials).toEqual([
      { rpc: 'GetArtifactsByID', reason: 'foreign_node', count: 1 },
      { rpc: 'GetArtifactsByID', reason: 'unowned_node', count: 1 },
    ]);
    const system = scopeOf({ readable: 'all', writable: 'all' });
    const offCount = await countStatements(ctx().db, () => as(undefined, 'getArtifacts', {}));
    const systemCount = await countStatements(ctx().db, () => as(system, 'getArtifacts', {}));
    expect(systemCount.result).toEqual(offCount.result);
    expect(systemCount.statements).toBe(offCount.statements);
    expect(system.denials).toEqual([]);
  });
});
