/** Where a call's identity came from: the `source` label of mlmd_tenancy_principal_resolutions_total. */
export type PrincipalSource = 'mtls' | 'forwarded_client_cert' | 'token_review' | 'oidc' | 'user_headers' | 'claimed_namespace' | 'none';

/**
 * Who is calling, as far as tenancy cares. A `namespace` principal is a workload (a service
 * account, or a SPIFFE identity `ns/<ns>/sa/<sa>`): it owns exactly its namespace. A `user`
 * is authorized namespace by namespace (SubjectAccessReview or the static policy). A
 * `system` principal is one the configuration names: it sees and writes everything.
 */
export type Principal =
  | { readonly kind: 'system'; readonly name: string; readonly source: PrincipalSource }
  | { readonly kind: 'user'; readonly name: string; readonly groups: readonly string[]; readonly source: PrincipalSource }
  | { readonly kind: 'namespace'; readonly namespace: string; readonly name: string; readonly source: PrincipalSource }
  | { readonly kind: 'anonymous' };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** For logs and TenancyScope.principal: "user:alice@example.com", "serviceaccount:ns/sa", "system:…", "anonymous". */
export function describePrincipal(p: Principal): string {
  switch (p.kind) {
    case 'anonymous':
      return 'anonymous';
    case 'system':
      return `system:${p.name}`;
    case 'user':
      return `user:${p.name}`;
    case 'namespace':
      return p.name;
  }
}
