import { expect, it } from 'vitest';
import { Event_Type as EventType } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode, type MlmdError } from '../../../src/errors';
import type { TenancyScope } from '../../../src/store/tenancy/tenancy_scope';
import type { RequestOf, ResponseOf, RpcMethod } from '../../../src/store/rpc';
import { down as dropOwnership, up as migrateOwnership } from '../../../migrations/20261202000001_node_namespace_ownership';
import { rebuildOwnership } from '../../../src/store/tenancy/rebuild_ownership';
import { expectRejectedWithoutTrace, statementsDuring, uniqueName } from '../../support/store_assertions';
import { describeStore } from '../store_suite';
import { DEFAULT_BATCH_SIZE, Purger } from '../../../src/store/retention/purge';
import { buildWorld, key, scopeOf, type TenancyWorld } from './tenancy_fixture';

const OWNERSHIP = 'mlmd_ts_node_namespace';

describeStore('Tenancy: ownership upkeep, back-fill and write refusals', (ctx) => {
  const as = <M extends RpcMethod>(scope: TenancyScope | undefined, method: M, request: RequestOf<M>): Promise<ResponseOf<M>> =>
    ctx().store.call(method, request, scope ? { tenancy: scope } : {});
  const failure = (promise: Promise<unknown>): Promise<MlmdError> =>
    promise.then(
      () => expect.fail('expected the call to fail'),
      (e: MlmdError) => e,
    );

  /** The ownership rows of the world's nodes, as "kind:id" -> namespaces. */
  const storedOwners = async (w: TenancyWorld): Promise<Map<string, Set<string>>> => {
    const rows = (await ctx().db.knex(OWNERSHIP).select('kind', 'node_id', 'namespace')) as { kind: 'artifact'; node_id: number; namespace: string }[];
    const owners = new Map<string, Set<string>>([...w.owners.keys()].map((k) => [k, new Set<string>()]));
    for (const row of rows) owners.get(key(row.kind, row.node_id))?.add(row.namespace);
    return owners;
  };
  const allRows = async () =>
    ((await ctx().db.knex(OWNERSHIP).select('kind', 'node_id', 'namespace', 'source')) as Record<string, unknown>[])
      .map((r) => `${r.kind}:${Number(r.node_id)}:${r.namespace}:${r.source}`)
      .sort();

  it('keeps ownership current with tenancy off, and the back-fill of an existing database derives the same rows', async () => {
    const w = await buildWorld(ctx());
    expect(await storedOwners(w)).toEqual(w.owners);
    const maintained = await allRows();
    // An existing database: the table is gone (as before the migration), then the migration runs.
    await dropOwnership(ctx().db.knex);
    await migrateOwnership(ctx().db.knex);
    expect(await allRows()).toEqual(maintained);
    // Idempotent: running it again changes nothing.
    await migrateOwnership(ctx().db.knex);
    expect(await allRows()).toEqual(maintained);
  });

  it('a write by another server (upstream) leaves the table stale until rebuildNodeNamespaces', async () => {
    const w = await buildWorld(ctx());
    // What upstream's server would write: a bare Attribution row.
    await ctx().db.knex(ctx().db.table('Attribution')).insert({ context_id: w.runA, artifact_id: w.tfxArtifact });
    expect((await storedOwners(w)).get(key('artifact', w.tfxArtifact))).toEqual(new Set());
    await rebuildOwnership(ctx().db);
    expect((await storedOwners(w)).get(key('artifact', w.tfxArtifact))).toEqual(new Set([w.nsA]));
  });

  it('changing a run context namespace moves its members; purging a node removes its rows', async () => {
    const w = await buildWorld(ctx());
    const [runB] = (await as(undefined, 'getContextsById', { contextIds: [BigInt(w.runB)] })).contexts!;
    const nsC = uniqueName('team-c');
    await as(undefined, 'putContexts', { contexts: [{ ...runB, customProperties: { ...runB.customProperties, namespace: { stringValue: nsC } } }] });
    const owners = await storedOwners(w);
    expect(owners.get(key('context', w.runB))).toEqual(new Set([nsC]));
    expect(owners.get(key('artifact', w.artifactB))).toEqual(new Set([nsC]));
    expect(owners.get(key('artifact', w.sharedArtifact))).toEqual(new Set([w.nsA, nsC]));
    // The execution keeps its own claim (its namespace property) beside the run's.
    expect(owners.get(key('execution', w.execB))).toEqual(new Set([w.nsB, nsC]));

    const purge = (kind: 'artifact' | 'context', filterQuery: string) =>
      new Purger(ctx().db).purge({ kind, filterQuery, dryRun: false, allowMatchAll: false, batchSize: DEFAULT_BATCH_SIZE, maxBatches: 0 });
    await purge('artifact', `id = ${w.artifactB}`);
    await purge('context', `id = ${w.runB}`);
    const rows = (await ctx().db.knex(OWNERSHIP).select('kind', 'node_id')) as { kind: string; node_id: number }[];
    const left = new Set(rows.map((r) => key(r.kind as 'artifact', r.node_id)));
    expect(left.has(key('artifact', w.artifactB))).toBe(false);
    expect(left.has(key('context', w.runB))).toBe(false);
    expect(left.has(key('artifact', w.artifactA))).toBe(true);
    // The shared artifact survives runB's purge and keeps only runA's namespace.
    expect((await storedOwners(w)).get(key('artifact', w.sharedArtifact))).toEqual(new Set([w.nsA]));
  });

  it('off path: writes that cannot change ownership issue no ownership statement', async () => {
    const w = await buildWorld(ctx());
    const touches = (sql: string[]) => sql.filter((s) => s.includes(OWNERSHIP)).length;
    const plain = await statementsDuring(ctx().db, () =>
      as(undefined, 'putArtifacts', { artifacts: [{ typeId: w.types.artifact, uri: uniqueName('/x/') }] }),
    );
    expect(touches(plain.sql)).toBe(0);
    const [artifactA] = (await as(undefined, 'getArtifactsById', { artifactIds: [BigInt(w.artifactA)] })).artifacts!;
    const update = await statementsDuring(ctx().db, () => as(undefined, 'putArtifacts', { artifacts: [{ ...artifactA, uri: uniqueName('/y/') }] }));
    expect(touches(update.sql)).toBe(0);
    const events = await statementsDuring(ctx().db, () =>
      as(undefined, 'putEvents', { events: [{ artifactId: BigInt(w.artifactA), executionId: BigInt(w.execA), type: EventType.INPUT }] }),
    );
    expect(touches(events.sql)).toBe(0);
    for (const read of [() => as(undefined, 'getArtifacts', {}), () => as(undefined, 'getArtifactsByContext', { contextId: BigInt(w.runA) })]) {
      expect(touches((await statementsDuring(ctx().db, read)).sql)).toBe(0);
    }
    // A membership write looks up its contexts' owners once, and inserts only when they have some.
    const link = await statementsDuring(ctx().db, () =>
      as(undefined, 'putAttributionsAndAssociations', { attributions: [{ contextId: BigInt(w.pipelineContext), artifactId: BigInt(w.tfxArtifact) }], associations: [] }),
    );
    expect(touches(link.sql)).toBe(1);

    // What Kubeflow's hot write costs with tenancy off: a task's PutExecution into an existing
    // run (both contexts re-sent with their ids, as the driver does) adds one lookup of the
    // contexts' owners and one insert of the inherited rows; creating the run adds its own row.
    const [pipeline, runA] = (await as(undefined, 'getContextsById', { contextIds: [BigInt(w.pipelineContext), BigInt(w.runA)] })).contexts!;
    const kfpTask = (contexts: typeof pipeline[]) =>
      statementsDuring(ctx().db, () =>
        as(undefined, 'putExecution', {
          execution: { typeId: w.types.container, name: uniqueName('task'), customProperties: { namespace: { stringValue: w.nsA } } },
          artifactEventPairs: [{ artifact: { typeId: w.types.artifact, uri: uniqueName('s3://o/') }, event: { type: EventType.OUTPUT } }],
          contexts,
        }),
      );
    const intoExisting = await kfpTask([pipeline, runA]);
    // The execution's own namespace claim, the owners lookup, the inherited rows.
    expect(intoExisting.sql.filter((s) => s.includes(OWNERSHIP))).toHaveLength(3);
    const newRun = { typeId: w.types.run, name: uniqueName('run'), customProperties: { namespace: { stringValue: w.nsA } } };
    const creatingRun = await kfpTask([pipeline, newRun]);
    expect(creatingRun.sql.filter((s) => s.includes(OWNERSHIP))).toHaveLength(4);
    const withoutMarks = await statementsDuring(ctx().db, () =>
      as(undefined, 'putExecution', { execution: { typeId: w.types.container, name: uniqueName('bare') }, artifactEventPairs: [] }),
    );
    expect(withoutMarks.sql.filter((s) => s.includes(OWNERSHIP))).toHaveLength(0);
  });

  it('enforce refuses updates and links of foreign nodes exactly as for absent ids, leaving no trace', async () => {
    const w = await buildWorld(ctx());
    const a = scopeOf({ readable: [w.nsA] });
    const absentId = 2_000_000_000;
    const same = async (foreign: () => Promise<unknown>, absent: () => Promise<unknown>, foreignId: number) => {
      const refused = await expectRejectedWithoutTrace(ctx().db, foreign);
      const missing = await failure(absent());
      expect(refused.code).toBe(missing.code);
      expect(refused.message.replaceAll(String(foreignId), 'ID')).toBe(missing.message.replaceAll(String(absentId), 'ID'));
    };
    const [artifactB] = (await as(undefined, 'getArtifactsById', { artifactIds: [BigInt(w.artifactB)] })).artifacts!;
    const update = (id: number) => () => as(a, 'putArtifacts', { artifacts: [{ ...artifactB, id: BigInt(id), uri: 'stolen' }] });
    await same(update(w.artifactB), update(absentId), w.artifactB);

    const link = (contextId: number) => () =>
      as(a, 'putAttributionsAndAssociations', { attributions: [{ contextId: BigInt(contextId), artifactId: BigInt(w.artifactA) }], associations: [] });
    await same(link(w.runB), link(absentId), w.runB);

    const event = (executionId: number) => () =>
      as(a, 'putEvents', { events: [{ artifactId: BigInt(w.artifactA), executionId: BigInt(executionId), type: EventType.INPUT }] });
    await same(event(w.execB), event(absentId), w.execB);

    const parent = (parentId: number) => () => as(a, 'putParentContexts', { parentContexts: [{ childId: BigInt(w.runA), parentId: BigInt(parentId) }] });
    await same(parent(w.runB), parent(absentId), w.runB);

    const intoRun = (contextId: number) => () =>
      as(a, 'putExecution', {
        execution: { typeId: w.types.container, name: uniqueName('t') },
        artifactEventPairs: [],
        contexts: [{ id: BigInt(contextId), typeId: w.types.run, name: uniqueName('r') }],
      });
    await same(intoRun(w.runB), intoRun(absentId), w.runB);
    expect(a.denials.every((d) => d.reason === 'foreign_write' && d.count === 1)).toBe(true);
    expect(a.denials).toHaveLength(5);

    // A foreign run context is not reused by name: the name is taken (global uniqueness).
    const [runB] = (await as(undefined, 'getContextsById', { contextIds: [BigInt(w.runB)] })).contexts!;
    const reuse = await expectRejectedWithoutTrace(ctx().db, () =>
      as(a, 'putExecution', {
        execution: { typeId: w.types.container, name: uniqueName('t') },
        artifactEventPairs: [],
        contexts: [{ typeId: w.types.run, name: runB.name, customProperties: { namespace: { stringValue: w.nsA } } }],
        options: { reuseContextIfAlreadyExist: true },
      }),
    );
    expect(reuse.code).toBe(StatusCode.ALREADY_EXISTS);

    // The caller's own nodes are writable.
    const [artifactA] = (await as(undefined, 'getArtifactsById', { artifactIds: [BigInt(w.artifactA)] })).artifacts!;
    await as(a, 'putArtifacts', { artifacts: [{ ...artifactA, uri: 'mine' }] });
    await as(a, 'putEvents', { events: [{ artifactId: BigInt(w.artifactA), executionId: BigInt(w.execA), type: EventType.INPUT }] });
  });

  it('a run context may only claim a writable namespace; nodes created under a default namespace are owned by it', async () => {
    const w = await buildWorld(ctx());
    const a = scopeOf({ readable: [w.nsA], defaultNamespace: w.nsA });
    const claim = (ns: string) => ({ typeId: w.types.run, name: uniqueName('run'), customProperties: { namespace: { stringValue: ns } } });
    const refused = await expectRejectedWithoutTrace(ctx().db, () => as(a, 'putContexts', { contexts: [claim(w.nsB)] }), StatusCode.PERMISSION_DENIED);
    expect(refused.message).toContain(w.nsB);
    expect(a.denials).toEqual([{ rpc: 'PutContexts', reason: 'foreign_namespace_claim', count: 1 }]);
    // Re-claiming an own run context for another namespace is refused too.
    const [runA] = (await as(undefined, 'getContextsById', { contextIds: [BigInt(w.runA)] })).contexts!;
    await expectRejectedWithoutTrace(
      ctx().db,
      () => as(a, 'putContexts', { contexts: [{ ...runA, customProperties: { namespace: { stringValue: w.nsB } } }] }),
      StatusCode.PERMISSION_DENIED,
    );

    const created = Number((await as(a, 'putContexts', { contexts: [claim(w.nsA)] })).contextIds![0]);
    const b = scopeOf({ readable: [w.nsB] });
    expect((await as(a, 'getContextsById', { contextIds: [BigInt(created)] })).contexts).toHaveLength(1);
    expect((await as(b, 'getContextsById', { contextIds: [BigInt(created)] })).contexts).toHaveLength(0);

    const artifact = Number((await as(a, 'putArtifacts', { artifacts: [{ typeId: w.types.plain, uri: uniqueName('/mine/') }] })).artifactIds![0]);
    expect((await as(a, 'getArtifactsById', { artifactIds: [BigInt(artifact)] })).artifacts).toHaveLength(1);
    expect((await as(b, 'getArtifactsById', { artifactIds: [BigInt(artifact)] })).artifacts).toHaveLength(0);
    expect((await as(scopeOf({ readable: [w.nsB], unownedVisible: true }), 'getArtifactsById', { artifactIds: [BigInt(artifact)] })).artifacts).toHaveLength(0);
  });

  it('PutLineageSubgraph cannot link into a foreign run; a system principal writes as with tenancy off', async () => {
    const w = await buildWorld(ctx());
    const a = scopeOf({ readable: [w.nsA] });
    const subgraph = (artifactId: number) => () =>
      as(a, 'putLineageSubgraph', {
        executions: [{ typeId: w.types.container, name: uniqueName('x') }],
        artifacts: [],
        contexts: [],
        eventEdges: [{ executionIndex: 0, event: { artifactId: BigInt(artifactId), type: EventType.INPUT } }],
      });
    const foreign = await expectRejectedWithoutTrace(ctx().db, subgraph(w.artifactB));
    const absent = await failure(subgraph(2_000_000_000)());
    expect(foreign.code).toBe(absent.code);
    expect(foreign.message.replace(String(w.artifactB), 'ID')).toBe(absent.message.replace('2000000000', 'ID'));

    const system = scopeOf({ readable: 'all', writable: 'all' });
    const write = (scope: TenancyScope | undefined) =>
      statementsDuring(ctx().db, () => as(scope, 'putArtifacts', { artifacts: [{ typeId: w.types.artifact, uri: uniqueName('/sys/') }] }));
    expect((await write(system)).sql.length).toBe((await write(undefined)).sql.length);
    expect(system.denials).toEqual([]);
  });

  it('audit mode lets the refused writes through and reports them', async () => {
    const w = await buildWorld(ctx());
    const audit = scopeOf({ mode: 'audit', readable: [w.nsA] });
    await as(audit, 'putAttributionsAndAssociations', { attributions: [{ contextId: BigInt(w.runB), artifactId: BigInt(w.artifactA) }], associations: [] });
    await as(audit, 'putContexts', { contexts: [{ typeId: w.types.run, name: uniqueName('run'), customProperties: { namespace: { stringValue: w.nsB } } }] });
    expect(audit.denials).toEqual([
      { rpc: 'PutAttributionsAndAssociations', reason: 'foreign_write', count: 1 },
      { rpc: 'PutContexts', reason: 'foreign_namespace_claim', count: 1 },
    ]);
    // The link was written, and the artifact now belongs to both namespaces.
    expect(Number((await as(undefined, 'getArtifactsByContext', { contextId: BigInt(w.runB) })).artifacts!.length)).toBe(3);
  });
});
