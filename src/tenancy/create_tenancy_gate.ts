import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from './kubernetes_config';
import type { NamespaceAuthorizer } from './namespace_authorizer';
import { OidcTokenVerifier } from './oidc_token';
import type { PrincipalSource } from './principal';
import { PrincipalResolver, type ResolutionOutcome } from './principal_resolver';
import { StaticNamespaceAuthorizer } from './static_policy';
import { SubjectAccessReviewAuthorizer } from './subject_access_review';
import { TenancyGate, type DenialObserver, type TenancyLog } from './tenancy_gate';
import type { TenancySettings } from './tenancy_settings';
import { KubernetesTokenReviewer } from './token_review';

export interface TenancyObserver extends DenialObserver {
  resolved(source: PrincipalSource, outcome: ResolutionOutcome): void;
}

/**
 * The gate for validated settings, with the sources and the authorizer they turn on. The
 * Kubernetes client is set up only when TokenReview or SubjectAccessReview is configured;
 * a missing kubeconfig is reported here, at start-up.
 */
export function createTenancyGate(settings: TenancySettings, deps: { observer?: TenancyObserver; log?: TenancyLog } = {}): TenancyGate {
  const { log, observer } = deps;
  const needsKubernetes = !!settings.identity.tokenReview || settings.authorization?.kind === 'kubernetes';
  let kube: KubeConfig | undefined;
  if (needsKubernetes) {
    try {
      kube = loadKubeConfig(settings.kubeconfig);
    } catch (e) {
      throw new Error(`${settings.source}: cannot set up the Kubernetes client: ${(e as Error).message}`);
    }
  }
  const apiFailure = (what: string) => (detail: string) => log?.warn({ detail }, `tenancy: ${what} failed; the call fails UNAVAILABLE`);
  const review = settings.identity.tokenReview;
  const tokenReviewer = review && kube ? new KubernetesTokenReviewer(kube, review.audiences, review.cacheTtlMs, apiFailure('TokenReview')) : undefined;
  const oidc = settings.identity.oidc ? new OidcTokenVerifier(settings.identity.oidc, apiFailure('fetching the OIDC keys')) : undefined;
  let authorizer: NamespaceAuthorizer | undefined;
  const a = settings.authorization;
  if (a?.kind === 'kubernetes' && kube) authorizer = new SubjectAccessReviewAuthorizer(kube, a, apiFailure('the Kubernetes authorization check'));
  else if (a?.kind === 'static') authorizer = new StaticNamespaceAuthorizer(a.bindings);
  const resolver = new PrincipalResolver(settings, {
    tokenReviewer,
    oidc,
    observe: (source, outcome) => observer?.resolved(source, outcome),
    rejected: (source, detail) => log?.debug({ source, detail }, 'tenancy: credential not accepted'),
  });
  return new TenancyGate(settings, { resolver, authorizer, observer, log });
}
