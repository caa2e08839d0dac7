import type { TenancyMode } from '../store/tenancy/tenancy_scope';
import type { Listener } from './call_credentials';

/** What the native gRPC port does with a caller that has no identity (issue 15; README "Tenancy"). */
export type AnonymousPolicy = 'deny' | 'trust-claimed' | 'allow';

/** A namespace a static policy grants: `view` reads it, `edit` also writes it. */
export interface StaticBinding {
  readonly namespace: string;
  readonly users: readonly string[];
  readonly groups: readonly string[];
  readonly access: 'view' | 'edit';
}

export interface KubernetesAuthorizationSettings {
  readonly kind: 'kubernetes';
  /** The SubjectAccessReview attributes a namespace's reads and writes need (Kubeflow's view and edit roles). */
  readonly group: string;
  readonly resource: string;
  readonly readVerbs: readonly string[];
  readonly writeVerbs: readonly string[];
  /** Which namespaces are candidates for a user's reads (a label selector on namespaces). */
  readonly namespaceLabelSelector: string;
  readonly cacheTtlMs: number;
}

export interface StaticAuthorizationSettings {
  readonly kind: 'static';
  readonly source: string;
  readonly bindings: readonly StaticBinding[];
}

/** The validated --tenancy / --tenancy_config_file (src/config/tenancy_config_file.ts parses them). */
export interface TenancySettings {
  readonly mode: TenancyMode;
  /** The config file, for messages. */
  readonly source: string;
  /** A kubeconfig file; undefined = in-cluster service account, else $KUBECONFIG / ~/.kube/config. */
  readonly kubeconfig?: string;
  readonly identity: {
    /** SPIFFE URI SANs of client certificates verified by our own TLS listener. */
    readonly ownTlsClientCertificates: boolean;
    /** x-forwarded-client-cert, accepted only from these peer addresses (our sidecar). */
    readonly forwardedClientCert?: { readonly trustedPeers: readonly string[] };
    readonly tokenReview?: { readonly audiences: readonly string[]; readonly cacheTtlMs: number };
    readonly oidc?: {
      readonly issuer: string;
      readonly jwksUrl: string;
      readonly audiences: readonly string[];
      readonly userClaim: string;
      readonly groupsClaim: string;
    };
    readonly userHeaders?: {
      readonly userHeader: string;
      readonly groupsHeader: string;
      readonly userPrefix: string;
      /** Listeners on which the headers are believed from anyone (only a trusted proxy can reach them). */
      readonly trustedListeners: readonly Listener[];
      /** Peers (IP/CIDR) believed on any listener. */
      readonly trustedPeerAddresses: readonly string[];
      /** mTLS identities (SPIFFE ids) believed on any listener: proxies that relay a user. */
      readonly trustedPeerIdentities: readonly string[];
    };
  };
  /** SPIFFE ids, `system:serviceaccount:<ns>:<sa>` names and user names that bypass filtering. */
  readonly systemPrincipals: readonly string[];
  readonly authorization?: KubernetesAuthorizationSettings | StaticAuthorizationSettings;
  readonly unownedVisible: boolean;
  readonly anonymous: {
    readonly grpc: AnonymousPolicy;
    /** trust-claimed: the request header in which a caller names its namespace. */
    readonly claimedNamespaceHeader: string;
  };
}

/** Kubeflow's view role grants get/list on runs in pipelines.kubeflow.org; its edit role adds create. */
export const KUBEFLOW_RUNS = { group: 'pipelines.kubeflow.org', resource: 'runs', readVerbs: ['get', 'list'], writeVerbs: ['create'] } as const;
export const KUBEFLOW_PROFILE_SELECTOR = 'app.kubernetes.io/part-of=kubeflow-profile';
export const DEFAULT_AUTHORIZATION_CACHE_TTL_MS = 30_000;
export const DEFAULT_CLAIMED_NAMESPACE_HEADER = 'x-mlmd-namespace';
