import { credentials, Metadata, status as Status } from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLMD_MIGRATIONS } from '../../migrations';
import { parseTenancyDocument } from '../../src/config/tenancy_config_file';
import { openDatabase, type Database } from '../../src/database';
import { MetadataStoreServiceService } from '../../src/generated/ml_metadata/proto/metadata_store_service';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { TenancyMetrics } from '../../src/observability/tenancy_metrics';
import { MetadataStore, type CallOptions } from '../../src/store/metadata_store';
import type { RpcMethod } from '../../src/store/rpc';
import { createTenancyGate } from '../../src/tenancy';
import { observabilityInterceptors } from '../../src/transport/interceptors';
import { startServer, type RunningServer } from '../../src/transport/server';
import type { PurgeResult } from '../../src/store/retention/purge';
import type { PurgeDispatcher } from '../../src/transport/retention_service';
import type { RpcDispatcher } from '../../src/transport/service';
import { WEB_CALL_HEADER } from '../../src/transport/web/web_call_registry';
import { FakeKubernetesApi } from '../tenancy/fake_kubernetes_api';
import { callRpc, mlmdClient } from './grpc_test_client';

/**
 * Our server on free ports with tenancy on, a real store over SQLite behind a dispatcher that
 * records the scope each call hands the store: what the identity half decides, per listener,
 * for each kind of caller (the store half's filtering is tested with the store).
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-tenancy-listeners-'));
const PROFILE = { 'app.kubernetes.io/part-of': 'kubeflow-profile' };
const kube = new FakeKubernetesApi({
  tokens: {
    'team-b-pod': { username: 'system:serviceaccount:team-b:default-editor', audiences: ['pipelines.kubeflow.org'] },
    'ui-server': { username: 'system:serviceaccount:kubeflow:ml-pipeline-ui', audiences: ['pipelines.kubeflow.org'] },
  },
  grants: ['alice@example.com get team-a', 'alice@example.com list team-a', 'alice@example.com create team-a'],
  namespaces: [
    { name: 'team-a', labels: PROFILE },
    { name: 'team-b', labels: PROFILE },
  ],
});

interface Served {
  server: RunningServer;
  calls: { method: RpcMethod; options: CallOptions | undefined }[];
  purges: number;
  metrics: ReturnType<typeof createMetrics>;
}

let db: Database;
const servers: Served[] = [];

async function serve(tenancyDocument: Record<string, unknown> | undefined, tls?: { key: string; cert: string; ca: string }): Promise<Served> {
  const store = new MetadataStore(db);
  const calls: Served['calls'] = [];
  const dispatcher: RpcDispatcher = {
    call: (async (method: RpcMethod, request: never, options?: CallOptions) => {
      calls.push({ method, options });
      return store.call(method, request, { signal: options?.signal });
    }) as RpcDispatcher['call'],
  };
  const metrics = createMetrics({ processMetrics: false });
  const logger = createLogger({ level: 'silent' });
  const tenancy = tenancyDocument
    ? createTenancyGate(parseTenancyDocument(tenancyDocument, 'enforce', 'test', { webPortOn: true, verifiesClientCertificates: !!tls }, []), {
        observer: new TenancyMetrics(metrics.registry),
        log: logger,
      })
    : undefined;
  const served = { server: undefined as unknown as RunningServer, calls, metrics, purges: 0 };
  const purger: PurgeDispatcher = {
    purge: async () => {
      served.purges++;
      return { dryRun: true, counts: {} as PurgeResult['counts'], samples: { contexts: [], executions: [], artifacts: [] }, batches: 0, complete: true };
    },
  };
  served.server = await startServer({
    store: dispatcher,
    purger,
    port: 0,
    host: '127.0.0.1',
    tls: tls ? { serverKey: tls.key, serverCert: tls.cert, customCa: tls.ca, clientVerify: true } : undefined,
    interceptors: observabilityInterceptors({ logger, metrics: metrics.grpc, services: [MetadataStoreServiceService] }),
    web: tls ? undefined : { port: 0, corsAllowedOrigins: [] },
    tenancy,
    logger,
  });
  servers.push(served);
  return served;
}

async function json(s: Served, method: string, headers: Record<string, string> = {}, body: unknown = {}, service = 'ml_metadata.MetadataStoreService') {
  const response = await fetch(`http://127.0.0.1:${s.server.webPort}/${service}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, grpcStatus: Number(response.headers.get('grpc-status')), body: (await response.json()) as Record<string, unknown> };
}

function metadata(entries: Record<string, string>): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(entries)) m.set(k, v);
  return m;
}

const scopeOf = (s: Served) => {
  const scope = s.calls.at(-1)?.options?.tenancy;
  if (!scope) return undefined;
  const set = (x: ReadonlySet<string> | 'all') => (x === 'all' ? 'all' : [...x].sort());
  return { mode: scope.mode, principal: scope.principal, readable: set(scope.readable), writable: set(scope.writable), defaultNamespace: scope.defaultNamespace };
};

beforeAll(async () => {
  db = await openDatabase({ kind: 'sqlite', filename: path.join(dir, 'metadata.sqlite') }, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 2 });
  await kube.start();
});
afterAll(async () => {
  for (const s of servers) await s.server.shutdown(0);
  await db?.close();
  await kube.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('tenancy off', () => {
  it('hands the store no scope, on either listener (today\'s behaviour)', async () => {
    const s = await serve(undefined);
    expect((await json(s, 'GetArtifacts', { 'kubeflow-userid': 'alice@example.com' })).status).toBe(200);
    const client = mlmdClient(s.server.port);
    expect((await callRpc(client, 'getArtifacts', {})).ok).toBe(true);
    client.close();
    expect(s.calls).toHaveLength(2);
    for (const c of s.calls) expect(Object.keys(c.options ?? {})).toEqual(['signal']);
  });
});

describe('tenancy on, Kubernetes authorization (fake API server)', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve({
      kubeconfig: kube.kubeconfig(),
      identity: { token_review: { audiences: ['pipelines.kubeflow.org'] }, user_headers: { trusted_listeners: ['grpc_web'] } },
      system_principals: ['system:serviceaccount:kubeflow:ml-pipeline-ui'],
      authorization: { kubernetes: { cache_ttl_seconds: 0 } },
      anonymous: { grpc: 'trust-claimed' },
    });
  });

  it('gRPC-web/JSON: the gateway-set user is authorized by SubjectAccessReview; the store gets their namespaces', async () => {
    const answer = await json(s, 'PutExecution', { 'kubeflow-userid': 'alice@example.com' }, { execution: { typeId: '1' } });
    // The store answers for itself (no such type); what matters is the scope it was handed.
    expect(answer.grpcStatus).not.toBe(Status.UNAUTHENTICATED);
    expect(scopeOf(s)).toEqual({ mode: 'enforce', principal: 'user:alice@example.com', readable: ['team-a'], writable: ['team-a'], defaultNamespace: 'team-a' });
    expect((await json(s, 'GetArtifacts', { 'kubeflow-userid': 'mallory@example.com' })).status).toBe(200);
    expect(scopeOf(s)).toMatchObject({ principal: 'user:mallory@example.com', readable: [], writable: [] });
  });

  it('gRPC-web/JSON: a service account token is its namespace; a system service account sees everything', async () => {
    expect((await json(s, 'GetArtifacts', { authorization: 'Bearer team-b-pod' })).status).toBe(200);
    expect(scopeOf(s)).toMatchObject({ principal: 'serviceaccount:team-b/default-editor', readable: ['team-b'], writable: ['team-b'] });
  });

  it('gRPC-web/JSON: anonymous callers (and bad tokens) are UNAUTHENTICATED and never reach the store', async () => {
    const before = s.calls.length;
    for (const headers of [{}, { authorization: 'Bearer forged' }] as Record<string, string>[]) {
      const answer = await json(s, 'GetArtifacts', headers);
      expect(answer.status).toBe(401);
      expect(answer.grpcStatus).toBe(Status.UNAUTHENTICATED);
    }
    expect(s.calls.length).toBe(before);
    const text = await s.metrics.registry.metrics();
    expect(text).toMatch(/mlmd_tenancy_denied_total\{rpc="GetArtifacts",reason="anonymous",mode="enforce"\} 2/);
    expect(text).toMatch(/mlmd_tenancy_principal_resolutions_total\{source="token_review",outcome="rejected"\} 1/);
    expect(text).toMatch(/mlmd_tenancy_principal_resolutions_total\{source="user_headers",outcome="resolved"\} \d/);
  });

  it('native gRPC: user headers are not trusted there; trust-claimed scopes an anonymous caller to the namespace it names', async () => {
    const client = mlmdClient(s.server.port);
    try {
      const forged = await callRpc(client, 'getArtifacts', {}, metadata({ 'kubeflow-userid': 'alice@example.com' }));
      expect(forged).toMatchObject({ ok: false, code: Status.UNAUTHENTICATED });
      expect((await callRpc(client, 'getContexts', {}, metadata({ 'x-mlmd-namespace': 'team-b' }))).ok).toBe(true);
      expect(scopeOf(s)).toMatchObject({ principal: 'claimed:team-b', readable: ['team-b'], writable: ['team-b'], defaultNamespace: 'team-b' });
      // A native client cannot pose as a bridged call: an id it makes up names no HTTP request.
      const posing = await callRpc(client, 'getArtifacts', {}, metadata({ [WEB_CALL_HEADER]: 'made-up', 'kubeflow-userid': 'alice@example.com' }));
      expect(posing).toMatchObject({ ok: false, code: Status.UNAUTHENTICATED });
      const token = await callRpc(client, 'getArtifacts', {}, metadata({ authorization: 'Bearer team-b-pod' }));
      expect(token.ok).toBe(true);
      expect(scopeOf(s)).toMatchObject({ principal: 'serviceaccount:team-b/default-editor' });
    } finally {
      client.close();
    }
  });

  it('RetentionService: purges (across namespaces) are for system principals only', async () => {
    const purge = (headers: Record<string, string>) => json(s, 'PurgeArtifacts', headers, { options: { filterQuery: 'uri = "x"' } }, 'mlmd_ts.retention.v1.RetentionService');
    const before = s.purges;
    const alice = await purge({ 'kubeflow-userid': 'alice@example.com' });
    expect(alice.grpcStatus).toBe(Status.PERMISSION_DENIED);
    expect((await purge({})).grpcStatus).toBe(Status.UNAUTHENTICATED);
    expect(s.purges).toBe(before);
    expect((await purge({ authorization: 'Bearer ui-server' })).status).toBe(200);
    expect(s.purges).toBe(before + 1);
    expect(await s.metrics.registry.metrics()).toMatch(/mlmd_tenancy_denied_total\{rpc="PurgeArtifacts",reason="foreign_write",mode="enforce"\} 1/);
  });

  it('the Kubernetes API failing: calls fail UNAVAILABLE (503), never open', async () => {
    kube.failWith = 503;
    try {
      const before = s.calls.length;
      const answer = await json(s, 'GetArtifacts', { 'kubeflow-userid': 'alice@example.com' });
      expect(answer.grpcStatus).toBe(Status.UNAVAILABLE);
      expect(answer.status).toBe(503);
      expect(String(answer.body.message)).toMatch(/Kubernetes API did not answer/);
      expect(s.calls.length).toBe(before);
    } finally {
      kube.failWith = undefined;
    }
  });
});

describe('tenancy on, our own TLS listener', () => {
  it("a verified client certificate's SPIFFE URI SAN is the caller", async () => {
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
    for (const [name, san] of [
      ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      ['client', 'subjectAltName=URI:spiffe://cluster.local/ns/team-c/sa/runner'],
    ]) {
      run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      fs.writeFileSync(path.join(dir, `${name}.ext`), `${san}\n`);
      run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
    }
    const pem = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
    const s = await serve({ identity: { mtls: { own_tls_client_certificates: true } }, anonymous: { grpc: 'deny' } }, { key: pem('server.key'), cert: pem('server.pem'), ca: pem('ca.pem') });
    const client = mlmdClient(s.server.port, credentials.createSsl(Buffer.from(pem('ca.pem')), Buffer.from(pem('client.key')), Buffer.from(pem('client.pem'))));
    try {
      expect((await callRpc(client, 'getArtifacts', {})).ok).toBe(true);
      expect(scopeOf(s)).toMatchObject({ principal: 'serviceaccount:team-c/runner', readable: ['team-c'], writable: ['team-c'] });
    } finally {
      client.close();
    }
  });
});
