import { describe, expect, it } from 'vitest';
import { addressOf } from '../../src/transport/call_scoping';
import { forwardedClientCertUri } from '../../src/tenancy/forwarded_client_cert';
import { PeerAddresses } from '../../src/tenancy/peer_addresses';
import { parseServiceAccountUser, parseSpiffeWorkload, uriSans } from '../../src/tenancy/spiffe_id';
import { TtlCache } from '../../src/tenancy/ttl_cache';
import { userFromHeaders } from '../../src/tenancy/user_headers';

describe('x-forwarded-client-cert', () => {
  it("takes the URI of the nearest hop's element, quoted or not", () => {
    expect(forwardedClientCertUri('By=spiffe://cluster.local/ns/kubeflow/sa/ml-pipeline;Hash=abc;URI=spiffe://cluster.local/ns/team-a/sa/default-editor')).toBe(
      'spiffe://cluster.local/ns/team-a/sa/default-editor',
    );
    expect(
      forwardedClientCertUri(
        'By=x;URI=spiffe://td/ns/first/sa/a,By=y;Subject="CN=a, O=b;c";URI="spiffe://td/ns/second/sa/b";DNS=x',
      ),
    ).toBe('spiffe://td/ns/second/sa/b');
    expect(forwardedClientCertUri('By=x;Hash=abc')).toBeUndefined();
    expect(forwardedClientCertUri('')).toBeUndefined();
  });
});

describe('SPIFFE ids and service accounts', () => {
  it('reads ns/sa from a workload id and nothing from other URIs', () => {
    expect(parseSpiffeWorkload('spiffe://cluster.local/ns/kubeflow/sa/ml-pipeline-ui')).toEqual({
      id: 'spiffe://cluster.local/ns/kubeflow/sa/ml-pipeline-ui',
      namespace: 'kubeflow',
      serviceAccount: 'ml-pipeline-ui',
    });
    expect(parseSpiffeWorkload('spiffe://cluster.local/custom/workload')).toBeUndefined();
    expect(parseSpiffeWorkload('https://example.com/ns/a/sa/b')).toBeUndefined();
    expect(uriSans('DNS:client, URI:spiffe://td/ns/a/sa/b, IP Address:127.0.0.1')).toEqual(['spiffe://td/ns/a/sa/b']);
    expect(uriSans(undefined)).toEqual([]);
    expect(parseServiceAccountUser('system:serviceaccount:team-a:default-editor')).toEqual({ namespace: 'team-a', serviceAccount: 'default-editor' });
    expect(parseServiceAccountUser('alice@example.com')).toBeUndefined();
  });
});

describe('trusted peer addresses', () => {
  it('matches addresses and CIDR ranges of both families, and IPv4-mapped IPv6', () => {
    const peers = new PeerAddresses(['10.0.0.0/8', '127.0.0.1', 'fd00::/8']);
    expect(peers.has('10.1.2.3')).toBe(true);
    expect(peers.has('::ffff:10.1.2.3')).toBe(true);
    expect(peers.has('127.0.0.1')).toBe(true);
    expect(peers.has('127.0.0.2')).toBe(false);
    expect(peers.has('fd12::1')).toBe(true);
    expect(peers.has('fe80::1')).toBe(false);
    expect(peers.has(undefined)).toBe(false);
    expect(peers.has('not-an-ip')).toBe(false);
    expect(new PeerAddresses([]).has('10.0.0.1')).toBe(false);
    expect(() => new PeerAddresses(['10.0.0.0/33'])).toThrow(/not an IP address or CIDR/);
    expect(() => new PeerAddresses(['gateway.istio-system'])).toThrow(/gateway.istio-system/);
  });

  it("reads the IP of grpc-js's peer strings", () => {
    expect(addressOf('127.0.0.1:5000')).toBe('127.0.0.1');
    expect(addressOf('[::1]:5000')).toBe('::1');
    expect(addressOf('ipv4:10.0.0.1:80')).toBe('10.0.0.1');
    expect(addressOf('unix:/tmp/sock')).toBeUndefined();
  });
});

describe('kubeflow-userid / kubeflow-groups', () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name];
  const names = { userHeader: 'kubeflow-userid', groupsHeader: 'kubeflow-groups', userPrefix: '' };

  it('reads the user and comma-separated groups', () => {
    expect(userFromHeaders(names, headers({ 'kubeflow-userid': 'alice@example.com', 'kubeflow-groups': 'team-a, admins,' }))).toEqual({
      name: 'alice@example.com',
      groups: ['team-a', 'admins'],
    });
    expect(userFromHeaders(names, headers({ 'kubeflow-groups': 'team-a' }))).toBeUndefined();
    expect(userFromHeaders(names, headers({ 'kubeflow-userid': '  ' }))).toBeUndefined();
  });

  it('strips the configured prefix and refuses values without it', () => {
    const iap = { ...names, userHeader: 'x-goog-authenticated-user-email', userPrefix: 'accounts.google.com:' };
    expect(userFromHeaders(iap, headers({ 'x-goog-authenticated-user-email': 'accounts.google.com:alice@example.com' }))?.name).toBe('alice@example.com');
    expect(userFromHeaders(iap, headers({ 'x-goog-authenticated-user-email': 'alice@example.com' }))).toBeUndefined();
    expect(userFromHeaders(iap, headers({ 'x-goog-authenticated-user-email': 'accounts.google.com:' }))).toBeUndefined();
  });
});

describe('TtlCache', () => {
  it('shares pending look-ups, expires answers, and forgets failures', async () => {
    let now = 0;
    const cache = new TtlCache<number>(1000, 2, () => now);
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    expect(await Promise.all([cache.get('a', load), cache.get('a', load)])).toEqual([1, 1]);
    now = 999;
    expect(await cache.get('a', load)).toBe(1);
    now = 1000;
    expect(await cache.get('a', load)).toBe(2);
    await expect(cache.get('b', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await Promise.resolve();
    expect(await cache.get('b', load)).toBe(3);
    // Bounded: a third key evicts the oldest.
    await cache.get('c', load);
    expect(await cache.get('a', load)).toBe(5);
  });
});
