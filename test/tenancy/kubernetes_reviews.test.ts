import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlmdError, StatusCode } from '../../src/errors';
import { loadKubeConfig } from '../../src/tenancy/kubernetes_config';
import { SubjectAccessReviewAuthorizer } from '../../src/tenancy/subject_access_review';
import { KUBEFLOW_PROFILE_SELECTOR, KUBEFLOW_RUNS, type KubernetesAuthorizationSettings } from '../../src/tenancy/tenancy_settings';
import { KubernetesTokenReviewer } from '../../src/tenancy/token_review';
import { FakeKubernetesApi } from './fake_kubernetes_api';

const PROFILE = { 'app.kubernetes.io/part-of': 'kubeflow-profile' };
const api = new FakeKubernetesApi({
  tokens: {
    'pod-token': { username: 'system:serviceaccount:team-a:default-editor', groups: ['system:serviceaccounts'], audiences: ['pipelines.kubeflow.org'] },
    'other-audience': { username: 'system:serviceaccount:team-a:default-editor', audiences: ['vault'] },
  },
  grants: [
    'alice@example.com get team-a',
    'alice@example.com list team-a',
    'alice@example.com create team-a',
    // Alice may get but not list in team-b: the view role grants both, so team-b is not readable.
    'alice@example.com get team-b',
    'group:team-b-viewers get team-b',
    'group:team-b-viewers list team-b',
    // A namespace without the profile label is never a candidate.
    'alice@example.com get kube-system',
    'alice@example.com list kube-system',
  ],
  namespaces: [
    { name: 'team-a', labels: PROFILE },
    { name: 'team-b', labels: PROFILE },
    { name: 'kube-system', labels: {} },
  ],
});

function authorizationSettings(cacheTtlMs = 30_000): KubernetesAuthorizationSettings {
  return { kind: 'kubernetes', ...KUBEFLOW_RUNS, namespaceLabelSelector: KUBEFLOW_PROFILE_SELECTOR, cacheTtlMs };
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function unavailable(p: Promise<unknown>): Promise<void> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MlmdError);
  expect((error as MlmdError).code).toBe(StatusCode.UNAVAILABLE);
}

beforeAll(() => api.start());
afterAll(() => api.stop());

describe('TokenReview through @kubernetes/client-node', () => {
  it('identifies a service account token for our audience and caches the answer', async () => {
    const failures: string[] = [];
    const reviewer = new KubernetesTokenReviewer(loadKubeConfig(api.kubeconfig()), ['pipelines.kubeflow.org'], 30_000, (d) => failures.push(d));
    const before = api.count('/apis/authentication.k8s.io');
    expect(await reviewer.review('pod-token')).toEqual({ username: 'system:serviceaccount:team-a:default-editor', groups: ['system:serviceaccounts'] });
    expect(await reviewer.review('pod-token')).toBeDefined();
    expect(api.count('/apis/authentication.k8s.io') - before).toBe(1);
    const sent = api.requests.find((r) => r.path.startsWith('/apis/authentication.k8s.io'))!;
    expect(sent.body).toMatchObject({ kind: 'TokenReview', spec: { token: 'pod-token', audiences: ['pipelines.kubeflow.org'] } });
    expect(failures).toEqual([]);
  });

  it('answers undefined for unknown tokens and tokens of another audience', async () => {
    const reviewer = new KubernetesTokenReviewer(loadKubeConfig(api.kubeconfig()), ['pipelines.kubeflow.org'], 0, () => undefined);
    expect(await reviewer.review('forged')).toBeUndefined();
    expect(await reviewer.review('other-audience')).toBeUndefined();
  });

  it('fails UNAVAILABLE (never open) when the API server is unreachable or failing', async () => {
    const failures: string[] = [];
    const down = new KubernetesTokenReviewer(loadKubeConfig(api.kubeconfig(await closedPort())), [], 30_000, (d) => failures.push(d));
    await unavailable(down.review('pod-token'));
    expect(failures).toHaveLength(1);
    api.failWith = 503;
    try {
      const failing = new KubernetesTokenReviewer(loadKubeConfig(api.kubeconfig()), [], 30_000, () => undefined);
      await unavailable(failing.review('pod-token'));
    } finally {
      api.failWith = undefined;
    }
  });
});

describe('SubjectAccessReview through @kubernetes/client-node', () => {
  it("reads need every read verb (get and list on runs) in a profile namespace; writes need create", async () => {
    const authorizer = new SubjectAccessReviewAuthorizer(loadKubeConfig(api.kubeconfig()), authorizationSettings(), () => undefined);
    const alice = { name: 'alice@example.com', groups: [] };
    expect([...(await authorizer.readable(alice))]).toEqual(['team-a']);
    expect([...(await authorizer.writable(alice))]).toEqual(['team-a']);
    const bob = { name: 'bob@example.com', groups: ['team-b-viewers'] };
    expect([...(await authorizer.readable(bob))]).toEqual(['team-b']);
    expect([...(await authorizer.writable(bob))]).toEqual([]);
    const review = api.requests.find((r) => r.path.startsWith('/apis/authorization.k8s.io'))!;
    expect(review.body).toMatchObject({
      kind: 'SubjectAccessReview',
      spec: { resourceAttributes: { group: 'pipelines.kubeflow.org', resource: 'runs' } },
    });
    expect(api.requests.some((r) => r.path === `/api/v1/namespaces?labelSelector=${encodeURIComponent(KUBEFLOW_PROFILE_SELECTOR)}`)).toBe(true);
  });

  it('caches decisions and the namespace list for the TTL', async () => {
    const authorizer = new SubjectAccessReviewAuthorizer(loadKubeConfig(api.kubeconfig()), authorizationSettings(), () => undefined);
    const carol = { name: 'carol@example.com', groups: [] };
    const before = api.requests.length;
    await authorizer.readable(carol);
    const first = api.requests.length - before;
    // One namespace list and get+list for each of the two candidates.
    expect(first).toBe(1 + 2 * 2);
    await Promise.all([authorizer.readable(carol), authorizer.readable(carol)]);
    expect(api.requests.length - before).toBe(first);
    const uncached = new SubjectAccessReviewAuthorizer(loadKubeConfig(api.kubeconfig()), authorizationSettings(0), () => undefined);
    const mark = api.requests.length;
    await uncached.readable(carol);
    await uncached.readable(carol);
    expect(api.requests.length - mark).toBe(2 * first);
  });

  it('fails UNAVAILABLE when the API server is unreachable, and asks again next time', async () => {
    const failures: string[] = [];
    const down = new SubjectAccessReviewAuthorizer(loadKubeConfig(api.kubeconfig(await closedPort())), authorizationSettings(), (d) => failures.push(d));
    await unavailable(down.readable({ name: 'alice@example.com', groups: [] }));
    await unavailable(down.readable({ name: 'alice@example.com', groups: [] }));
    expect(failures).toHaveLength(2);
    api.failWith = 500;
    try {
      const failing = new SubjectAccessReviewAuthorizer(loadKubeConfig(api.kubeconfig()), authorizationSettings(), () => undefined);
      await unavailable(failing.writable({ name: 'alice@example.com', groups: [] }));
    } finally {
      api.failWith = undefined;
    }
  });
});
