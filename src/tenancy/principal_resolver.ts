import type { CallCredentials } from './call_credentials';
import { forwardedClientCertUri } from './forwarded_client_cert';
import type { OidcTokenVerifier } from './oidc_token';
import { PeerAddresses } from './peer_addresses';
import { ANONYMOUS, type Principal, type PrincipalSource } from './principal';
import { parseServiceAccountUser, parseSpiffeWorkload, serviceAccountUser } from './spiffe_id';
import type { TenancySettings } from './tenancy_settings';
import type { TokenReviewer } from './token_review';
import { userFromHeaders } from './user_headers';

/** How resolving one source went: the `outcome` label of mlmd_tenancy_principal_resolutions_total. */
export type ResolutionOutcome = 'resolved' | 'rejected' | 'error' | 'anonymous';

export interface ResolverDeps {
  tokenReviewer?: TokenReviewer;
  oidc?: OidcTokenVerifier;
  observe?(source: PrincipalSource, outcome: ResolutionOutcome): void;
  /** A presented credential that was not accepted (for the debug log). */
  rejected?(source: PrincipalSource, detail: string): void;
}

/**
 * Who is calling, from the sources the configuration turns on, first match wins:
 *  1. the mTLS peer (our TLS listener's verified client certificate, or our sidecar's
 *     x-forwarded-client-cert from a trusted address), unless that peer is a proxy trusted to
 *     relay a user in the user headers and names one: then that user;
 *  2. a bearer token (an OIDC JWT of the configured issuer, else Kubernetes TokenReview);
 *  3. the user headers, where trusted (listener, peer address or relaying mTLS peer);
 *  4. anonymous.
 * A credential presented but not accepted (bad token) falls through to the next source: the
 * listener's anonymous policy decides what happens to a caller nothing identifies. Names
 * configured as system principals become `system`. Failures of the Kubernetes API or the
 * OIDC key endpoint throw UNAVAILABLE.
 */
export class PrincipalResolver {
  private readonly systemNames: ReadonlySet<string>;
  private readonly xfccPeers?: PeerAddresses;
  private readonly headerPeers?: PeerAddresses;

  constructor(
    private readonly settings: TenancySettings,
    private readonly deps: ResolverDeps,
  ) {
    this.systemNames = new Set(settings.systemPrincipals);
    if (settings.identity.forwardedClientCert) this.xfccPeers = new PeerAddresses(settings.identity.forwardedClientCert.trustedPeers);
    if (settings.identity.userHeaders) this.headerPeers = new PeerAddresses(settings.identity.userHeaders.trustedPeerAddresses);
  }

  async resolve(call: CallCredentials): Promise<Principal> {
    const peer = this.peerIdentity(call);
    const headerUser = this.trustedHeaderUser(call, peer?.uri);
    if (peer) {
      const relays = this.settings.identity.userHeaders?.trustedPeerIdentities.includes(peer.uri) ?? false;
      if (relays && headerUser) return this.found('user_headers', this.user(headerUser.name, headerUser.groups, 'user_headers'));
      const workload = this.workload(peer.uri, peer.source);
      if (workload) return this.found(peer.source, workload);
      this.deps.rejected?.(peer.source, `peer identity ${peer.uri} is neither a system principal nor a Kubernetes workload (ns/<ns>/sa/<sa>)`);
      this.deps.observe?.(peer.source, 'rejected');
    }
    const bearer = /^bearer\s+(\S+)\s*$/i.exec(call.header('authorization') ?? '')?.[1];
    if (bearer) {
      const fromToken = await this.fromBearer(bearer);
      if (fromToken) return fromToken;
    }
    if (headerUser) return this.found('user_headers', this.user(headerUser.name, headerUser.groups, 'user_headers'));
    this.deps.observe?.('none', 'anonymous');
    return ANONYMOUS;
  }

  /** The user a principal ends up as, or `system` when configured so. */
  private user(name: string, groups: readonly string[], source: PrincipalSource): Principal {
    if (this.systemNames.has(name)) return { kind: 'system', name, source };
    const sa = parseServiceAccountUser(name);
    if (sa) return { kind: 'namespace', namespace: sa.namespace, name: `serviceaccount:${sa.namespace}/${sa.serviceAccount}`, source };
    return { kind: 'user', name, groups, source };
  }

  private workload(uri: string, source: PrincipalSource): Principal | undefined {
    if (this.systemNames.has(uri)) return { kind: 'system', name: uri, source };
    const w = parseSpiffeWorkload(uri);
    if (!w) return undefined;
    // A service account listed by its Kubernetes name is a system principal however it authenticates.
    const saName = serviceAccountUser(w.namespace, w.serviceAccount);
    if (this.systemNames.has(saName)) return { kind: 'system', name: saName, source };
    return { kind: 'namespace', namespace: w.namespace, name: `serviceaccount:${w.namespace}/${w.serviceAccount}`, source };
  }

  private peerIdentity(call: CallCredentials): { uri: string; source: PrincipalSource } | undefined {
    const id = this.settings.identity;
    if (id.ownTlsClientCertificates) {
      const uri = call.verifiedPeerUris.find((u) => u.startsWith('spiffe://'));
      if (uri) return { uri, source: 'mtls' };
    }
    if (this.xfccPeers && this.xfccPeers.has(call.peerAddress)) {
      const header = call.header('x-forwarded-client-cert');
      const uri = header ? forwardedClientCertUri(header) : undefined;
      if (uri) return { uri, source: 'forwarded_client_cert' };
    }
    return undefined;
  }

  private trustedHeaderUser(call: CallCredentials, peerUri: string | undefined) {
    const h = this.settings.identity.userHeaders;
    if (!h) return undefined;
    const trusted =
      h.trustedListeners.includes(call.listener) ||
      (this.headerPeers?.has(call.peerAddress) ?? false) ||
      (peerUri !== undefined && h.trustedPeerIdentities.includes(peerUri));
    if (!trusted) return undefined;
    return userFromHeaders(h, (name) => call.header(name));
  }

  private async fromBearer(token: string): Promise<Principal | undefined> {
    const { oidc, tokenReviewer } = this.deps;
    const viaOidc = oidc && (oidc.claimsOurIssuer(token) || !tokenReviewer);
    const source: PrincipalSource = viaOidc ? 'oidc' : 'token_review';
    if (!viaOidc && !tokenReviewer) return undefined;
    try {
      if (viaOidc) {
        const user = await oidc.verify(token);
        if (user) return this.found(source, this.user(user.name, user.groups, source));
      } else {
        const reviewed = await tokenReviewer!.review(token);
        if (reviewed) return this.found(source, this.user(reviewed.username, reviewed.groups, source));
      }
    } catch (e) {
      this.deps.observe?.(source, 'error');
      throw e;
    }
    this.deps.rejected?.(source, 'the bearer token was not accepted');
    this.deps.observe?.(source, 'rejected');
    return undefined;
  }

  private found(source: PrincipalSource, principal: Principal): Principal {
    this.deps.observe?.(source, 'resolved');
    return principal;
  }
}
