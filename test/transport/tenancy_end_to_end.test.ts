import { Metadata, status as Status } from '@grpc/grpc-js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLMD_MIGRATIONS } from '../../migrations';
import { parseTenancyDocument } from '../../src/config/tenancy_config_file';
import { openDatabase, type Database } from '../../src/database';
import { Event_Type as EventType } from '../../src/generated/ml_metadata/proto/metadata_store';
import { createLogger } from '../../src/observability/logger';
import { MetadataStore } from '../../src/store/metadata_store';
import { createTenancyGate } from '../../src/tenancy/create_tenancy_gate';
import { startServer, type RunningServer } from '../../src/transport/server';
import { callRpc, mlmdClient } from './grpc_test_client';

/**
 * Both halves together: identities resolved at the edge, filtering in the store. Kubeflow-like
 * data written over native gRPC (anonymous, allowed as KFP's drivers are), read through the
 * JSON port as users of one namespace, as the UI server's system principal, and anonymously.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-tenancy-e2e-'));
const UI = 'spiffe://cluster.local/ns/kubeflow/sa/ml-pipeline-ui';
let db: Database;
let server: RunningServer;
const ids: Record<string, string> = {};

async function json(method: string, headers: Record<string, string>, body: unknown = {}) {
  const response = await fetch(`http://127.0.0.1:${server.webPort}/ml_metadata.MetadataStoreService/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

beforeAll(async () => {
  const policy = path.join(dir, 'policy.yaml');
  fs.writeFileSync(policy, 'bindings:\n  - namespace: team-a\n    users: [alice@example.com]\n  - namespace: team-b\n    users: [bob@example.com]\n');
  db = await openDatabase({ kind: 'sqlite', filename: path.join(dir, 'm.sqlite') }, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 2 });
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
  const client = mlmdClient(server.port);
  const call = async (method: string, request: unknown) => {
    const r = await callRpc(client, method as never, request, new Metadata());
    if (!r.ok) throw new Error(`${method}: ${r.details}`);
    return r.response as any;
  };
  const run = (await call('putContextType', { contextType: { name: 'system.PipelineRun' } })).typeId;
  const pipeline = (await call('putContextType', { contextType: { name: 'system.Pipeline' } })).typeId;
  const container = (await call('putExecutionType', { executionType: { name: 'system.ContainerExecution' } })).typeId;
  const artifact = (await call('putArtifactType', { artifactType: { name: 'system.Artifact' } })).typeId;
  for (const ns of ['team-a', 'team-b']) {
    const r = await call('putExecution', {
      execution: { typeId: container, name: `task-${ns}`, customProperties: { namespace: { stringValue: ns } } },
      artifactEventPairs: [{ artifact: { typeId: artifact, uri: `s3://${ns}/out`, name: `out-${ns}` }, event: { type: EventType.OUTPUT } }],
      contexts: [
        { typeId: pipeline, name: 'shared-pipeline' },
        { typeId: run, name: `run-${ns}`, customProperties: { namespace: { stringValue: ns } } },
      ],
      options: { reuseContextIfAlreadyExist: true },
    });
    ids[ns] = String(r.artifactIds[0]);
  }
  ids.tfx = String((await call('putArtifacts', { artifacts: [{ typeId: artifact, uri: '/tfx/examples' }] })).artifactIds[0]);
  client.close();
});
afterAll(async () => {
  await server?.shutdown(0);
  await db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const artifactIds = (body: any) => ((body.artifacts ?? []) as any[]).map((a) => String(a.id)).sort();

describe('tenancy end to end (identity half + store half)', () => {
  it('a user of team-a sees team-a only; bob sees team-b only; unowned data is system-only', async () => {
    expect(artifactIds((await json('GetArtifacts', { 'kubeflow-userid': 'alice@example.com' })).body)).toEqual([ids['team-a']]);
    expect(artifactIds((await json('GetArtifacts', { 'kubeflow-userid': 'bob@example.com' })).body)).toEqual([ids['team-b']]);
    const byId = await json('GetArtifactsByID', { 'kubeflow-userid': 'alice@example.com' }, { artifactIds: [ids['team-a'], ids['team-b'], ids.tfx] });
    expect(artifactIds(byId.body)).toEqual([ids['team-a']]);
  });

  it("the UI server's mesh identity is a system principal and sees everything", async () => {
    const all = await json('GetArtifacts', { 'x-forwarded-client-cert': `By=x;URI=${UI}` });
    expect(artifactIds(all.body)).toEqual([ids['team-a'], ids['team-b'], ids.tfx].sort());
  });

  it('anonymous on the JSON port: UNAUTHENTICATED', async () => {
    const r = await json('GetArtifacts', {});
    expect(r.status).toBe(401);
    expect(r.body.code).toBe(Status.UNAUTHENTICATED);
  });
});
