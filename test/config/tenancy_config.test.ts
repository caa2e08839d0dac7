import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config';
import { parseFlags } from '../../src/config/flags';
import { settingsFromFlags } from '../../src/config/server_settings';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-tenancy-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

function settings(argv: string[]) {
  const parsed = parseFlags(argv, {});
  if (parsed.kind !== 'flags') throw new Error('help');
  const warnings: string[] = [];
  return { settings: settingsFromFlags(parsed.flags, warnings, {}), warnings };
}

function configError(argv: string[]): string {
  try {
    settings(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const KUBEFLOW_YAML = `
# The multi-user Kubeflow setup of deploy/kubeflow-tenancy.
identity:
  mtls:
    forwarded_client_cert:
      trusted_peers: [127.0.0.6, "::1"]
  token_review:
    audiences: [pipelines.kubeflow.org]
  user_headers:
    trusted_listeners: [grpc_web]
system_principals:
  - spiffe://cluster.local/ns/kubeflow/sa/ml-pipeline-ui
authorization:
  kubernetes:
    cache_ttl_seconds: 10
unowned: visible
anonymous:
  grpc: trust-claimed
`;

describe('--tenancy and --tenancy_config_file', () => {
  it('off by default: no tenancy settings at all', () => {
    expect(settings([]).settings.tenancy).toBeUndefined();
    expect(settings(['--tenancy=off']).settings.tenancy).toBeUndefined();
  });

  it('reads the YAML file with Kubeflow defaults filled in', () => {
    const t = settings(['--tenancy=enforce', `--tenancy_config_file=${file('kf.yaml', KUBEFLOW_YAML)}`, '--grpc_web_port=9090']).settings.tenancy!;
    expect(t.mode).toBe('enforce');
    expect(t.identity.userHeaders).toEqual({
      userHeader: 'kubeflow-userid',
      groupsHeader: 'kubeflow-groups',
      userPrefix: '',
      trustedListeners: ['web'],
      trustedPeerAddresses: [],
      trustedPeerIdentities: [],
    });
    expect(t.identity.tokenReview).toEqual({ audiences: ['pipelines.kubeflow.org'], cacheTtlMs: 30_000 });
    expect(t.authorization).toEqual({
      kind: 'kubernetes',
      group: 'pipelines.kubeflow.org',
      resource: 'runs',
      readVerbs: ['get', 'list'],
      writeVerbs: ['create'],
      namespaceLabelSelector: 'app.kubernetes.io/part-of=kubeflow-profile',
      cacheTtlMs: 10_000,
    });
    expect(t.unownedVisible).toBe(true);
    expect(t.anonymous).toEqual({ grpc: 'trust-claimed', claimedNamespaceHeader: 'x-mlmd-namespace' });
  });

  it('reads JSON too, and defaults unowned to system-only and anonymous gRPC to allow', () => {
    const json = file('t.json', JSON.stringify({ identity: { token_review: {} } }));
    const t = settings(['--tenancy=audit', `--tenancy_config_file=${json}`]).settings.tenancy!;
    expect(t.mode).toBe('audit');
    expect(t.unownedVisible).toBe(false);
    expect(t.anonymous.grpc).toBe('allow');
  });

  it('refuses what would silently do something else, naming the setting', () => {
    const cases: [string, RegExp][] = [
      ['identity:\n  token_reveiw: {}\n', /identity has unknown key token_reveiw/],
      ['identity:\n  user_headers:\n    trusted_listeners: [grpc_web]\n', /authorization is required when users are identified/],
      ['identity:\n  user_headers: {}\nauthorization:\n  kubernetes: {}\n', /trusts nobody/],
      ['identity:\n  user_headers:\n    trusted_listeners: [browser]\nauthorization:\n  kubernetes: {}\n', /unknown listener "browser"/],
      ['identity:\n  mtls:\n    forwarded_client_cert:\n      trusted_peers: [sidecar]\n', /trusted_peers "sidecar" is not an IP address/],
      ['identity:\n  mtls:\n    own_tls_client_certificates: true\n', /needs TLS on the gRPC port that verifies client certificates/],
      ['identity:\n  oidc:\n    issuer: dex\n    jwks_url: http://dex/keys\n', /identity.oidc.issuer must be an http\(s\) URL/],
      ['anonymous:\n  grpc: maybe\n', /anonymous.grpc must be one of deny, trust-claimed, allow/],
      ['unowned: hidden\n', /unowned must be one of visible, system-only/],
      ['authorization:\n  kubernetes:\n    cache_ttl_seconds: -1\n', /cache_ttl_seconds must be a number of seconds/],
      ['authorization: {}\n', /authorization needs kubernetes or static_policy_file/],
      ['identity: [1, 2]\n', /identity must be a mapping/],
      ['identity: {\n', /not valid YAML or JSON/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      expect(configError(['--tenancy=enforce', `--tenancy_config_file=${file(`bad${i}.yaml`, text)}`])).toMatch(message);
    }
    expect(configError(['--tenancy=enforce', '--tenancy_config_file=/nonexistent.yaml'])).toMatch(/cannot read --tenancy_config_file=\/nonexistent.yaml: no such file/);
    expect(configError([`--tenancy_config_file=${file('ok.yaml', '{}')}`])).toMatch(/needs --tenancy=audit or --tenancy=enforce/);
  });

  it('a static policy file: bindings checked, access defaults to edit', () => {
    const policy = file('policy.yaml', 'bindings:\n  - namespace: team-a\n    users: [alice@example.com]\n  - namespace: team-b\n    groups: [b]\n    access: view\n');
    const config = file('static.yaml', `identity:\n  user_headers:\n    trusted_listeners: [grpc_web]\nauthorization:\n  static_policy_file: ${policy}\n`);
    const t = settings(['--tenancy=enforce', `--tenancy_config_file=${config}`, '--grpc_web_port=9090']).settings.tenancy!;
    expect(t.authorization).toEqual({
      kind: 'static',
      source: policy,
      bindings: [
        { namespace: 'team-a', users: ['alice@example.com'], groups: [], access: 'edit' },
        { namespace: 'team-b', users: [], groups: ['b'], access: 'view' },
      ],
    });
    const bad = file('badpolicy.yaml', 'bindings:\n  - namespace: team-a\n');
    const config2 = file('static2.yaml', `authorization:\n  static_policy_file: ${bad}\n`);
    expect(configError(['--tenancy=enforce', `--tenancy_config_file=${config2}`])).toMatch(/bindings\[0\] grants nobody/);
  });

  it('warns about setups that are easy to get wrong', () => {
    const config = file('warn.yaml', 'identity:\n  user_headers:\n    trusted_listeners: [grpc, grpc_web]\nauthorization:\n  kubernetes: {}\n');
    const { warnings } = settings(['--tenancy=enforce', `--tenancy_config_file=${config}`]);
    expect(warnings.join('\n')).toMatch(/trusts the grpc_web listener, but --grpc_web_port is off/);
    expect(warnings.join('\n')).toMatch(/any client that reaches the gRPC port can name any user/);
    expect(settings(['--tenancy=audit']).warnings.join('\n')).toMatch(/no identity source is configured/);
  });
});
