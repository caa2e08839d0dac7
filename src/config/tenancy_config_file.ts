import fs from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { PeerAddresses } from '../tenancy/peer_addresses';
import type { Listener } from '../tenancy/call_credentials';
// Not src/tenancy/index.ts: that would load the Kubernetes client into every server, tenancy or not.
import {
  DEFAULT_AUTHORIZATION_CACHE_TTL_MS,
  DEFAULT_CLAIMED_NAMESPACE_HEADER,
  KUBEFLOW_PROFILE_SELECTOR,
  KUBEFLOW_RUNS,
  type AnonymousPolicy,
  type StaticBinding,
  type TenancySettings,
} from '../tenancy/tenancy_settings';
import { DEFAULT_GROUPS_HEADER, DEFAULT_USER_HEADER, DEFAULT_USER_PREFIX } from '../tenancy/user_headers';
import { ConfigError } from './config_error';

export const TENANCY_MODES = ['off', 'audit', 'enforce'] as const;
const ANONYMOUS_POLICIES: readonly AnonymousPolicy[] = ['deny', 'trust-claimed', 'allow'];
/** Config-file names of the listeners. */
const LISTENERS: Record<string, Listener> = { grpc: 'grpc', grpc_web: 'web' };
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const MAX_TTL_SECONDS = 3600;

/** What the listeners and the TLS settings say, for the checks that involve them. */
export interface TenancyContext {
  webPortOn: boolean;
  /** Our TLS port verifies client certificates (ssl_config with custom_ca). */
  verifiesClientCertificates: boolean;
}

/**
 * --tenancy and --tenancy_config_file, validated: the mode, then the file (YAML, or JSON,
 * which is YAML too) with the identity sources, system principals, authorization, unowned
 * visibility and the anonymous policy. Unknown keys are refused with their path, so a
 * misspelt setting never silently leaves a source off.
 */
export function tenancySettings(
  mode: string,
  file: string,
  context: TenancyContext,
  warnings: string[],
): TenancySettings | undefined {
  if (!(TENANCY_MODES as readonly string[]).includes(mode)) throw new ConfigError(`--tenancy must be one of ${TENANCY_MODES.join(', ')}; got ${mode}`);
  if (mode === 'off') {
    if (file) throw new ConfigError('--tenancy_config_file needs --tenancy=audit or --tenancy=enforce (tenancy is off by default)');
    return undefined;
  }
  const document = file ? readDocument(file, '--tenancy_config_file') : {};
  return parseTenancyDocument(document, mode as 'audit' | 'enforce', file || '--tenancy', context, warnings);
}

function readDocument(file: string, flag: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new ConfigError(`cannot read ${flag}=${file}: ${reason}`);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (e) {
    if (e instanceof YAMLParseError) throw new ConfigError(`${file}: not valid YAML or JSON: ${e.message.split('\n')[0]}`);
    throw e;
  }
}

/** A mapping read key by key; whatever is left unread at the end is an unknown key. */
class Section {
  private readonly seen = new Set<string>();
  private readonly map: Record<string, unknown>;

  constructor(
    value: unknown,
    readonly path: string,
    private readonly source: string,
  ) {
    if (value === undefined || value === null) value = {};
    if (typeof value !== 'object' || Array.isArray(value)) throw this.error(path, 'must be a mapping');
    this.map = value as Record<string, unknown>;
  }

  error(path: string, message: string): ConfigError {
    return new ConfigError(`${this.source}: ${path || 'the document'} ${message}`);
  }

  private at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  has(key: string): boolean {
    return this.map[key] !== undefined && this.map[key] !== null;
  }

  section(key: string): Section | undefined {
    this.seen.add(key);
    return this.has(key) ? new Section(this.map[key], this.at(key), this.source) : undefined;
  }

  string(key: string, fallback?: string): string | undefined {
    this.seen.add(key);
    const v = this.map[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') throw this.error(this.at(key), 'must be a string');
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    this.seen.add(key);
    const v = this.map[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw this.error(this.at(key), 'must be true or false');
    return v;
  }

  seconds(key: string, fallbackMs: number): number {
    this.seen.add(key);
    const v = this.map[key];
    if (v === undefined || v === null) return fallbackMs;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_TTL_SECONDS) {
      throw this.error(this.at(key), `must be a number of seconds from 0 to ${MAX_TTL_SECONDS}`);
    }
    return Math.round(v * 1000);
  }

  strings(key: string, fallback: readonly string[] = []): string[] {
    this.seen.add(key);
    const v = this.map[key];
    if (v === undefined || v === null) return [...fallback];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.trim() === '')) {
      throw this.error(this.at(key), 'must be a list of non-empty strings');
    }
    return (v as string[]).map((x) => x.trim());
  }

  oneOf<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const v = this.string(key, fallback)!;
    if (!(choices as readonly string[]).includes(v)) throw this.error(this.at(key), `must be one of ${choices.join(', ')}; got ${JSON.stringify(v)}`);
    return v as T;
  }

  header(key: string, fallback: string): string {
    const v = this.string(key, fallback)!.trim().toLowerCase();
    if (!HEADER_NAME.test(v)) throw this.error(this.at(key), `must be an HTTP header name; got ${JSON.stringify(v)}`);
    return v;
  }

  url(key: string): string {
    const v = this.string(key);
    if (!v) throw this.error(this.at(key), 'is required');
    try {
      const u = new URL(v);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      throw this.error(this.at(key), `must be an http(s) URL; got ${JSON.stringify(v)}`);
    }
    return v;
  }

  list(key: string): unknown[] {
    this.seen.add(key);
    const v = this.map[key];
    if (!Array.isArray(v) || v.length === 0) throw this.error(this.at(key), 'must be a non-empty list');
    return v;
  }

  /** Refuses keys nobody read. */
  done(): void {
    const unknown = Object.keys(this.map).filter((k) => !this.seen.has(k));
    if (unknown.length) throw this.error(this.path, `has unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${[...this.seen].join(', ')})`);
  }
}

export function parseTenancyDocument(
  document: unknown,
  mode: 'audit' | 'enforce',
  source: string,
  context: TenancyContext,
  warnings: string[],
): TenancySettings {
  const root = new Section(document, '', source);
  const kubeconfig = root.string('kubeconfig') || undefined;
  const identity = root.section('identity') ?? new Section({}, 'identity', source);

  const mtls = identity.section('mtls');
  const ownTls = mtls?.boolean('own_tls_client_certificates', false) ?? false;
  if (ownTls && !context.verifiesClientCertificates) {
    throw mtls!.error('identity.mtls.own_tls_client_certificates', 'needs TLS on the gRPC port that verifies client certificates (ssl_config with custom_ca in --metadata_store_server_config_file)');
  }
  const xfccSection = mtls?.section('forwarded_client_cert');
  let forwardedClientCert: TenancySettings['identity']['forwardedClientCert'];
  if (xfccSection) {
    const trustedPeers = xfccSection.strings('trusted_peers');
    if (trustedPeers.length === 0) throw xfccSection.error(`${xfccSection.path}.trusted_peers`, 'must name the addresses of the sidecar that sets x-forwarded-client-cert (e.g. 127.0.0.1, ::1)');
    addresses(trustedPeers, xfccSection, `${xfccSection.path}.trusted_peers`);
    forwardedClientCert = { trustedPeers };
    xfccSection.done();
  }
  mtls?.done();

  const tr = identity.section('token_review');
  const tokenReview = tr ? { audiences: tr.strings('audiences'), cacheTtlMs: tr.seconds('cache_ttl_seconds', DEFAULT_AUTHORIZATION_CACHE_TTL_MS) } : undefined;
  tr?.done();

  const o = identity.section('oidc');
  let oidc: TenancySettings['identity']['oidc'];
  if (o) {
    oidc = {
      issuer: o.url('issuer'),
      jwksUrl: o.url('jwks_url'),
      audiences: o.strings('audiences'),
      userClaim: o.string('user_claim', 'email')!,
      groupsClaim: o.string('groups_claim', 'groups')!,
    };
    o.done();
  }

  const uh = identity.section('user_headers');
  let userHeaders: TenancySettings['identity']['userHeaders'];
  if (uh) {
    const listenerNames = uh.strings('trusted_listeners');
    const trustedListeners = listenerNames.map((name) => {
      const l = LISTENERS[name];
      if (!l) throw uh.error(`${uh.path}.trusted_listeners`, `names an unknown listener ${JSON.stringify(name)} (grpc or grpc_web)`);
      return l;
    });
    const peers = uh.strings('trusted_peers');
    const trustedPeerIdentities = peers.filter((p) => p.startsWith('spiffe://'));
    const trustedPeerAddresses = peers.filter((p) => !p.startsWith('spiffe://'));
    addresses(trustedPeerAddresses, uh, `${uh.path}.trusted_peers`);
    if (trustedListeners.length === 0 && peers.length === 0) {
      throw uh.error(uh.path, 'trusts nobody: give trusted_listeners (grpc_web) or trusted_peers (IP/CIDR, or SPIFFE ids of the proxies that set them)');
    }
    if (trustedPeerIdentities.length && !ownTls && !forwardedClientCert) {
      throw uh.error(`${uh.path}.trusted_peers`, 'names SPIFFE ids, but no mTLS identity source is on (identity.mtls)');
    }
    if (trustedListeners.includes('web') && !context.webPortOn) warnings.push(`${source}: identity.user_headers trusts the grpc_web listener, but --grpc_web_port is off`);
    if (trustedListeners.includes('grpc')) warnings.push(`${source}: identity.user_headers trusts the grpc listener: any client that reaches the gRPC port can name any user`);
    userHeaders = {
      userHeader: uh.header('user_header', DEFAULT_USER_HEADER),
      groupsHeader: uh.header('groups_header', DEFAULT_GROUPS_HEADER),
      userPrefix: uh.string('user_prefix', DEFAULT_USER_PREFIX)!,
      trustedListeners,
      trustedPeerAddresses,
      trustedPeerIdentities,
    };
    uh.done();
  }
  identity.done();

  const systemPrincipals = root.strings('system_principals');

  const az = root.section('authorization');
  let authorization: TenancySettings['authorization'];
  if (az) {
    const k = az.section('kubernetes');
    const staticFile = az.string('static_policy_file');
    if (k && staticFile) throw az.error('authorization', 'takes either kubernetes or static_policy_file, not both');
    if (k) {
      authorization = {
        kind: 'kubernetes',
        group: k.string('group', KUBEFLOW_RUNS.group)!,
        resource: k.string('resource', KUBEFLOW_RUNS.resource)!,
        readVerbs: k.strings('read_verbs', KUBEFLOW_RUNS.readVerbs),
        writeVerbs: k.strings('write_verbs', KUBEFLOW_RUNS.writeVerbs),
        namespaceLabelSelector: k.string('namespace_label_selector', KUBEFLOW_PROFILE_SELECTOR)!,
        cacheTtlMs: k.seconds('cache_ttl_seconds', DEFAULT_AUTHORIZATION_CACHE_TTL_MS),
      };
      if (authorization.readVerbs.length === 0 || authorization.writeVerbs.length === 0) {
        throw k.error('authorization.kubernetes', 'read_verbs and write_verbs must each name at least one verb');
      }
      k.done();
    } else if (staticFile) {
      authorization = { kind: 'static', source: staticFile, bindings: readStaticPolicy(staticFile) };
    } else {
      throw az.error('authorization', 'needs kubernetes or static_policy_file');
    }
    az.done();
  }
  if ((userHeaders || oidc) && !authorization) {
    throw root.error('authorization', 'is required when users are identified (identity.user_headers or identity.oidc): say which namespaces they may see (kubernetes or static_policy_file)');
  }

  const unowned = root.oneOf('unowned', ['visible', 'system-only'] as const, 'system-only');
  const anon = root.section('anonymous') ?? new Section({}, 'anonymous', source);
  const anonymous = {
    grpc: anon.oneOf('grpc', ANONYMOUS_POLICIES, 'allow'),
    claimedNamespaceHeader: anon.header('claimed_namespace_header', DEFAULT_CLAIMED_NAMESPACE_HEADER),
  };
  anon.done();
  root.done();

  if (!ownTls && !forwardedClientCert && !tokenReview && !oidc && !userHeaders) {
    warnings.push(`${source}: no identity source is configured; every caller is anonymous (the gRPC-web/JSON port refuses them all)`);
  }
  return {
    mode,
    source,
    kubeconfig,
    identity: { ownTlsClientCertificates: ownTls, forwardedClientCert, tokenReview, oidc, userHeaders },
    systemPrincipals,
    authorization,
    unownedVisible: unowned === 'visible',
    anonymous,
  };
}

function addresses(entries: string[], section: Section, path: string): void {
  try {
    new PeerAddresses(entries);
  } catch (e) {
    throw section.error(path, (e as Error).message);
  }
}

/**
 * The static policy file: `bindings`, each a namespace, the users and groups it is granted
 * to, and `access: view` (read) or `edit` (read and write; the default).
 */
export function readStaticPolicy(file: string): StaticBinding[] {
  const root = new Section(readDocument(file, 'authorization.static_policy_file'), '', file);
  const list = root.list('bindings');
  root.done();
  return list.map((entry, i) => {
    const b = new Section(entry, `bindings[${i}]`, file);
    const namespace = b.string('namespace');
    if (!namespace) throw b.error(`bindings[${i}].namespace`, 'is required');
    const binding: StaticBinding = {
      namespace,
      users: b.strings('users'),
      groups: b.strings('groups'),
      access: b.oneOf('access', ['view', 'edit'] as const, 'edit'),
    };
    if (binding.users.length === 0 && binding.groups.length === 0) throw b.error(`bindings[${i}]`, 'grants nobody: give users or groups');
    b.done();
    return binding;
  });
}
