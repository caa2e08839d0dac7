import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTenancyDocument } from '../../src/config/tenancy_config_file';
import { MlmdError, StatusCode } from '../../src/errors';
import type { TenancyScope } from '../../src/store/tenancy/tenancy_scope';
import type { CallCredentials, Listener } from '../../src/tenancy';
import { createTenancyGate } from '../../src/tenancy/create_tenancy_gate';
import type { TenancyGate } from '../../src/tenancy/tenancy_gate';

const UI = 'spiffe://cluster.local/ns/kubeflow/sa/ml-pipeline-ui';
const GATEWAY = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';

/** A Kubeflow-like setup without Kubernetes: trusted headers on the web port, a static policy, mesh identities. */
function document(overrides: Record<string, unknown> = {}) {
  return {
    identity: {
      mtls: { forwarded_client_cert: { trusted_peers: ['127.0.0.6'] } },
      user_headers: { trusted_listeners: ['grpc_web'], trusted_peers: [GATEWAY, '10.9.0.0/16'] },
    },
    system_principals: [UI, 'system:serviceaccount:kubeflow:kubeflow-pipelines-metadata-writer', 'admin@example.com'],
    authorization: { static_policy_file: staticPolicy },
    ...overrides,
  };
}

const staticPolicy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-policy-')), 'policy.yaml');
fs.writeFileSync(
  staticPolicy,
  `bindings:
  - namespace: team-a
    users: [alice@example.com]
  - namespace: team-b
    groups: [team-b]
    access: view
`,
);

interface Recorded {
  denials: string[];
  resolutions: string[];
}

const logged: { level: string; fields: Record<string, unknown>; message: string }[] = [];
const log = {
  info: (fields: object, message: string) => logged.push({ level: 'info', fields: fields as Record<string, unknown>, message }),
  debug: (fields: object, message: string) => logged.push({ level: 'debug', fields: fields as Record<string, unknown>, message }),
  warn: (fields: object, message: string) => logged.push({ level: 'warn', fields: fields as Record<string, unknown>, message }),
};

function gate(doc: Record<string, unknown>, mode: 'audit' | 'enforce' = 'enforce'): { gate: TenancyGate; seen: Recorded } {
  const settings = parseTenancyDocument(doc, mode, 'test', { webPortOn: true, verifiesClientCertificates: false }, []);
  const seen: Recorded = { denials: [], resolutions: [] };
  const g = createTenancyGate(settings, {
    log,
    observer: {
      denied: (rpc, reason, m, count) => seen.denials.push(`${rpc} ${reason} ${m} ${count}`),
      resolved: (source, outcome) => seen.resolutions.push(`${source} ${outcome}`),
    },
  });
  return { gate: g, seen };
}

function call(listener: Listener, headers: Record<string, string> = {}, peerAddress = '10.1.0.5'): CallCredentials {
  return { listener, header: (n) => headers[n], peerAddress, verifiedPeerUris: [] };
}

const set = (s: ReadonlySet<string> | 'all') => (s === 'all' ? 'all' : [...s].sort());
const summary = (s: TenancyScope) => ({ principal: s.principal, readable: set(s.readable), writable: set(s.writable), unowned: s.unownedVisible, default: s.defaultNamespace });

async function refused(p: Promise<unknown>, code: StatusCode): Promise<string> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(MlmdError);
  expect((e as MlmdError).code).toBe(code);
  return (e as MlmdError).message;
}

describe('who is calling, and the scope they get', () => {
  it('a user named in trusted headers on the web port sees the namespaces the policy grants', async () => {
    const { gate: g, seen } = gate(document());
    const alice = call('web', { 'kubeflow-userid': 'alice@example.com' });
    expect(summary(await g.scopeFor('GetArtifacts', false, alice))).toEqual({ principal: 'user:alice@example.com', readable: ['team-a'], writable: [], unowned: false, default: undefined });
    expect(summary(await g.scopeFor('PutExecution', true, alice))).toMatchObject({ readable: ['team-a'], writable: ['team-a'], default: 'team-a' });
    const bob = call('web', { 'kubeflow-userid': 'bob@example.com', 'kubeflow-groups': 'team-b' });
    expect(summary(await g.scopeFor('PutExecution', true, bob))).toMatchObject({ readable: ['team-b'], writable: [], default: undefined });
    expect(seen.resolutions).toContain('user_headers resolved');
  });

  it('headers on the native port are believed only from trusted peers (address or relaying mTLS identity)', async () => {
    const { gate: g } = gate(document({ anonymous: { grpc: 'deny' } }));
    const forged = call('grpc', { 'kubeflow-userid': 'alice@example.com' }, '10.1.0.5');
    await refused(g.scopeFor('GetArtifacts', false, forged), StatusCode.UNAUTHENTICATED);
    const fromGatewayRange = call('grpc', { 'kubeflow-userid': 'alice@example.com' }, '10.9.3.4');
    expect((await g.scopeFor('GetArtifacts', false, fromGatewayRange)).principal).toBe('user:alice@example.com');
    // The gateway's mesh identity relays the user: the user, not the gateway, is the principal.
    const relayed = call('grpc', { 'kubeflow-userid': 'alice@example.com', 'x-forwarded-client-cert': `By=x;URI=${GATEWAY}` }, '127.0.0.6');
    expect((await g.scopeFor('GetArtifacts', false, relayed)).principal).toBe('user:alice@example.com');
  });

  it('x-forwarded-client-cert only from the sidecar address; a workload identity is a namespace principal', async () => {
    const { gate: g } = gate(document({ anonymous: { grpc: 'deny' } }));
    const pod = 'spiffe://cluster.local/ns/team-a/sa/default-editor';
    const viaSidecar = call('grpc', { 'x-forwarded-client-cert': `By=x;URI=${pod}` }, '127.0.0.6');
    expect(summary(await g.scopeFor('PutExecution', true, viaSidecar))).toEqual({
      principal: 'serviceaccount:team-a/default-editor',
      readable: ['team-a'],
      writable: ['team-a'],
      unowned: false,
      default: 'team-a',
    });
    const forged = call('grpc', { 'x-forwarded-client-cert': `By=x;URI=${pod}` }, '10.1.0.5');
    await refused(g.scopeFor('GetArtifacts', false, forged), StatusCode.UNAUTHENTICATED);
  });

  it('system principals bypass filtering, by SPIFFE id, by service account name, or by user name', async () => {
    const { gate: g } = gate(document());
    const all = { readable: 'all', writable: 'all', unowned: true };
    // The UI server's artifact-download check: mesh identity, no user headers.
    const validator = call('web', { 'x-forwarded-client-cert': `URI=${UI}` }, '127.0.0.6');
    expect(summary(await g.scopeFor('GetArtifactsByID', false, validator))).toMatchObject({ principal: `system:${UI}`, ...all });
    const writer = call('grpc', { 'x-forwarded-client-cert': 'URI=spiffe://cluster.local/ns/kubeflow/sa/kubeflow-pipelines-metadata-writer' }, '127.0.0.6');
    expect(summary(await g.scopeFor('PutExecution', true, writer))).toMatchObject(all);
    const admin = call('web', { 'kubeflow-userid': 'admin@example.com' });
    expect(summary(await g.scopeFor('GetContexts', false, admin))).toMatchObject(all);
  });

  it('the UI server relaying a browser user: the user is filtered even though the UI server is a system principal', async () => {
    const { gate: g } = gate(document({ identity: { ...document().identity, user_headers: { trusted_listeners: ['grpc_web'], trusted_peers: [UI] } } }));
    const proxied = call('web', { 'kubeflow-userid': 'alice@example.com', 'x-forwarded-client-cert': `URI=${UI}` }, '127.0.0.6');
    expect((await g.scopeFor('GetArtifacts', false, proxied)).readable).toEqual(new Set(['team-a']));
  });

  it('anonymous: refused on the web port; on the native port as the policy says', async () => {
    const web = await refused(gate(document()).gate.scopeFor('GetArtifacts', false, call('web')), StatusCode.UNAUTHENTICATED);
    expect(web).toMatch(/gRPC-web\/JSON port serves only identified callers/);

    const allow = await gate(document()).gate.scopeFor('GetArtifacts', false, call('grpc'));
    expect(summary(allow)).toMatchObject({ principal: 'anonymous', readable: 'all', writable: 'all' });

    const { gate: deny, seen } = gate(document({ anonymous: { grpc: 'deny' } }));
    await refused(deny.scopeFor('PutArtifacts', true, call('grpc')), StatusCode.UNAUTHENTICATED);
    expect(seen.denials).toEqual(['PutArtifacts anonymous enforce 1']);

    const { gate: claimed } = gate(document({ anonymous: { grpc: 'trust-claimed' } }));
    expect(summary(await claimed.scopeFor('PutContexts', true, call('grpc', { 'x-mlmd-namespace': 'team-a' })))).toEqual({
      principal: 'claimed:team-a',
      readable: ['team-a'],
      writable: ['team-a'],
      unowned: false,
      default: 'team-a',
    });
    await refused(claimed.scopeFor('GetContexts', false, call('grpc')), StatusCode.UNAUTHENTICATED);
    await refused(claimed.scopeFor('GetContexts', false, call('grpc', { 'x-mlmd-namespace': 'Team A/..' })), StatusCode.INVALID_ARGUMENT);
    // The claim is for anonymous callers only: an identified caller's own identity wins.
    const alice = call('web', { 'kubeflow-userid': 'alice@example.com', 'x-mlmd-namespace': 'team-b' });
    expect((await claimed.scopeFor('GetContexts', false, alice)).readable).toEqual(new Set(['team-a']));
  });

  it('audit mode serves refused callers unfiltered and reports them; store denials are reported with the mode', async () => {
    const { gate: g, seen } = gate(document({ anonymous: { grpc: 'deny' } }), 'audit');
    const scope = await g.scopeFor('GetArtifacts', false, call('web'));
    expect(summary(scope)).toMatchObject({ readable: 'all', writable: 'all' });
    const { gate: claimed, seen: claimedSeen } = gate(document({ anonymous: { grpc: 'trust-claimed' } }), 'audit');
    expect(summary(await claimed.scopeFor('GetContexts', false, call('grpc', { 'x-mlmd-namespace': 'Not A Name' })))).toMatchObject({ readable: 'all' });
    expect(claimedSeen.denials).toEqual(['GetContexts anonymous audit 1']);
    const alice = await g.scopeFor('GetArtifacts', false, call('web', { 'kubeflow-userid': 'alice@example.com' }));
    expect(alice.mode).toBe('audit');
    alice.onDenial?.({ rpc: 'GetArtifacts', reason: 'foreign_node', count: 3 });
    expect(seen.denials).toEqual(['GetArtifacts anonymous audit 1', 'GetArtifacts foreign_node audit 3']);
  });

  it('one structured log line per denial: info for refused callers and in audit mode, debug for routine filtering', async () => {
    logged.length = 0;
    const { gate: enforce } = gate(document({ anonymous: { grpc: 'deny' } }));
    await enforce.scopeFor('GetArtifacts', false, call('grpc')).catch(() => undefined);
    const alice = await enforce.scopeFor('GetArtifacts', false, call('web', { 'kubeflow-userid': 'alice@example.com' }));
    alice.onDenial?.({ rpc: 'GetArtifacts', reason: 'foreign_node', count: 2 });
    const { gate: audit } = gate(document(), 'audit');
    (await audit.scopeFor('GetArtifacts', false, call('web', { 'kubeflow-userid': 'alice@example.com' }))).onDenial?.({ rpc: 'GetArtifacts', reason: 'unowned_node', count: 1 });
    const denials = logged.filter((l) => 'reason' in l.fields);
    expect(denials).toEqual([
      { level: 'info', message: 'tenancy: call refused', fields: { rpc: 'GetArtifacts', reason: 'anonymous', count: 1, principal: 'anonymous', tenancy: 'enforce' } },
      { level: 'debug', message: 'tenancy: denied', fields: { rpc: 'GetArtifacts', reason: 'foreign_node', count: 2, principal: 'user:alice@example.com', tenancy: 'enforce' } },
      { level: 'info', message: 'tenancy (audit): would deny', fields: { rpc: 'GetArtifacts', reason: 'unowned_node', count: 1, principal: 'user:alice@example.com', tenancy: 'audit' } },
    ]);
  });
});
