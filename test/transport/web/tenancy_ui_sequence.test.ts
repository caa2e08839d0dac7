import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MLMD_MIGRATIONS } from '../../../migrations';
import { parseTenancyDocument } from '../../../src/config/tenancy_config_file';
import { openDatabase, type Database } from '../../../src/database';
import { Event_Type as EventType } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { createLogger } from '../../../src/observability/logger';
import { MetadataStore } from '../../../src/store/metadata_store';
import { createTenancyGate } from '../../../src/tenancy/create_tenancy_gate';
import { startServer, type RunningServer } from '../../../src/transport/server';
import type { RpcMethod } from '../../../src/store/rpc';
import { describeEachBackend } from '../../support/backends';
import { callRpc, mlmdClient } from '../grpc_test_client';
import { grpcWebClient } from './grpc_web_client';
import { seedKubeflowRun, type SeededRun } from './kubeflow_run_seed';

/**
 * The Kubeflow UI's reads with --tenancy=enforce, over gRPC-web as the UI's browser code makes
 * them (grpc-web runtime, text mode; the gateway's `kubeflow-userid` header believed on the
 * web listener): the run page, the Artifacts and Executions lists, lineage, compare. A user
 * of team-a sees team-a's run in full and nothing of team-b's or of unowned (TFX-style) data.
 * The UI server's artifact-download check (GetArtifactsByURI, then GetContextsByArtifact, as
 * its mlmd-validator sends them) comes from its mesh identity, a system principal: it gets the
 * real answer for any namespace, so it never fails (it fails open on an error).
 */
const UI = 'spiffe://cluster.local/ns/kubeflow/sa/ml-pipeline-ui';

describeEachBackend('tenancy: the Kubeflow UI read sequence over gRPC-web', (backend) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-tenancy-ui-'));
  let db: Database;
  let server: RunningServer;
  let runA: SeededRun;
  let runB: SeededRun;
  let unowned: bigint;
  let web: ReturnType<typeof grpcWebClient>;

  beforeAll(async () => {
    const policy = path.join(dir, 'policy.yaml');
    fs.writeFileSync(policy, 'bindings:\n  - namespace: team-a\n    users: [alice@example.com]\n  - namespace: team-b\n    users: [bob@example.com]\n');
    db = await openDatabase(await backend.freshDatabaseConfig(), { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 4 });
    const settings = parseTenancyDocument(
      {
        identity: { mtls: { forwarded_client_cert: { trusted_peers: ['127.0.0.1'] } }, user_headers: { trusted_listeners: ['grpc_web'] } },
        system_principals: [UI],
        authorization: { static_policy_file: policy },
      },
      'enforce',
      'test',
      { webPortOn: true, verifiesClientCertificates: false },
      [],
    );
    server = await startServer({
      store: new MetadataStore(db),
      port: 0,
      host: '127.0.0.1',
      web: { port: 0, corsAllowedOrigins: [] },
      tenancy: createTenancyGate(settings),
      logger: createLogger({ level: 'silent' }),
    });
    // Written over native gRPC with no identity, as KFP 2.x drivers and launchers write.
    const grpc = mlmdClient(server.port);
    const write = (method: RpcMethod, request: unknown) => callRpc(grpc, method, request);
    runA = await seedKubeflowRun(write, 'ui-a', 'team-a');
    runB = await seedKubeflowRun(write, 'ui-b', 'team-b');
    const tfx = await write('putArtifactType', { artifactType: { name: 'Examples' } });
    const tfxType = (tfx as { response: { typeId: bigint } }).response.typeId;
    const put = await write('putArtifacts', { artifacts: [{ typeId: tfxType, uri: '/tfx/examples' }] });
    unowned = (put as { response: { artifactIds: bigint[] } }).response.artifactIds[0];
    grpc.close();
    web = grpcWebClient(server.webPort!, 'text');
  });
  afterAll(async () => {
    await server?.shutdown(0);
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const as = (headers: Record<string, string>) => async (method: RpcMethod, request: unknown) => {
    const outcome = await web.call(method, request, headers);
    if (!outcome.ok) throw new Error(`${method}: ${outcome.code} ${outcome.details}`);
    return outcome.response as Record<string, { id?: bigint; artifactId?: bigint; executionId?: bigint }[] | undefined> & { context?: { id?: bigint } };
  };
  const alice = as({ 'kubeflow-userid': 'alice@example.com' });
  const ids = (nodes: { id?: bigint }[] | undefined) => (nodes ?? []).map((n) => n.id!).sort((a, b) => Number(a - b));
  const sorted = (xs: bigint[]) => [...xs].sort((a, b) => Number(a - b));

  it("the run page: alice reads team-a's run in full, and team-b's run does not exist for her", async () => {
    expect((await alice('getContextByTypeAndName', { typeName: 'system.PipelineRun', contextName: runA.runName })).context?.id).toBe(runA.contextId);
    expect((await alice('getContextByTypeAndName', { typeName: 'system.PipelineRun', contextName: runB.runName })).context).toBeUndefined();
    expect(ids((await alice('getExecutionsByContext', { contextId: runA.contextId })).executions)).toEqual(sorted(runA.executionIds));
    expect(ids((await alice('getArtifactsByContext', { contextId: runA.contextId })).artifacts)).toEqual(sorted(runA.artifactIds));
    expect((await alice('getExecutionsByContext', { contextId: runB.contextId })).executions ?? []).toEqual([]);
    expect((await alice('getArtifactsByContext', { contextId: runB.contextId })).artifacts ?? []).toEqual([]);
    const events = (await alice('getEventsByExecutionIDs', { executionIds: [...runA.executionIds, ...runB.executionIds] })).events ?? [];
    expect(events).toHaveLength(4);
    expect(events.every((e) => runA.executionIds.includes(e.executionId!) && runA.artifactIds.includes(e.artifactId!))).toBe(true);
    expect(ids((await alice('getArtifactsById', { artifactIds: [...runA.artifactIds, ...runB.artifactIds, unowned] })).artifacts)).toEqual(sorted(runA.artifactIds));
  });

  it('the Artifacts and Executions lists hold team-a only, page by page', async () => {
    expect(ids((await alice('getArtifacts', {})).artifacts)).toEqual(sorted(runA.artifactIds));
    expect(ids((await alice('getExecutions', {})).executions)).toEqual(sorted(runA.executionIds));
    const first = await alice('getArtifacts', { options: { maxResultSize: 2 } });
    const rest = await alice('getArtifacts', { options: { maxResultSize: 2, nextPageToken: (first as unknown as { nextPageToken: string }).nextPageToken } });
    expect([...ids(first.artifacts), ...ids(rest.artifacts)]).toEqual(sorted(runA.artifactIds));
    expect(ids((await alice('getArtifactsByType', { typeName: 'system.Model' })).artifacts)).toEqual([runA.artifactIds[0]]);
  });

  it("lineage and compare: the model's lineage stays in team-a; comparing both runs shows only alice's", async () => {
    const graph = (await alice('getLineageSubgraph', { lineageSubgraphQueryOptions: { startingArtifacts: { filterQuery: `id = ${runA.artifactIds[0]}` }, maxNumHops: 10n } })) as unknown as {
      lineageSubgraph: { artifacts?: { id?: bigint }[]; executions?: { id?: bigint }[] };
    };
    expect(ids(graph.lineageSubgraph.artifacts)).toEqual(sorted(runA.artifactIds));
    expect(ids(graph.lineageSubgraph.executions)).toEqual(sorted(runA.executionIds));
    // Compare Runs asks for each selected run's context, then its executions.
    const compared = await Promise.all(
      [runA, runB].map(async (run) => (await alice('getContextByTypeAndName', { typeName: 'system.PipelineRun', contextName: run.runName })).context?.id),
    );
    expect(compared).toEqual([runA.contextId, undefined]);
    const starting = await web.call('getLineageSubgraph', { lineageSubgraphQueryOptions: { startingArtifacts: { filterQuery: `id = ${runB.artifactIds[0]}` } } }, { 'kubeflow-userid': 'alice@example.com' });
    expect(starting.ok).toBe(false);
  });

  it("the UI server's download check, as its mesh identity, answers for every namespace", async () => {
    const ui = as({ 'x-forwarded-client-cert': `By=spiffe://cluster.local/ns/kubeflow/sa/metadata-grpc-server;URI=${UI}` });
    for (const run of [runA, runB]) {
      const byUri = await ui('getArtifactsByUri', { uris: [run.modelUri] });
      expect(ids(byUri.artifacts)).toEqual([run.artifactIds[0]]);
      const contexts = (await ui('getContextsByArtifact', { artifactId: run.artifactIds[0] })).contexts as { id?: bigint; customProperties?: Record<string, { stringValue?: string }> }[];
      expect(contexts.map((c) => [c.id, c.customProperties?.namespace?.stringValue])).toEqual([[run.contextId, run.namespace]]);
    }
    // Without the mesh identity the same check is refused outright (never an empty "not yours").
    const anonymous = await web.call('getArtifactsByUri', { uris: [runB.modelUri] }, {});
    expect(anonymous).toMatchObject({ ok: false, code: 16 });
  });

  it('events of the written runs are what Kubeflow wrote', async () => {
    // The seed's own shape, so the assertions above cannot pass on a smaller world.
    const all = as({ 'x-forwarded-client-cert': `By=x;URI=${UI}` });
    const events = (await all('getEventsByExecutionIDs', { executionIds: [...runA.executionIds, ...runB.executionIds] })).events ?? [];
    expect(events).toHaveLength(8);
    expect(events.filter((e) => (e as { type?: number }).type === EventType.INPUT)).toHaveLength(2);
    expect(ids((await all('getArtifacts', {})).artifacts)).toEqual(sorted([...runA.artifactIds, ...runB.artifactIds, unowned]));
  });
});
