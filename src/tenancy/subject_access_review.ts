import { AuthorizationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { KubernetesAuthorizationSettings } from './tenancy_settings';
import { describeKubernetesFailure, KubernetesApiError } from './kubernetes_api_error';
import type { NamespaceAuthorizer, UserSubject } from './namespace_authorizer';
import { TtlCache } from './ttl_cache';

/**
 * A user's namespaces as Kubernetes RBAC grants them, the way Kubeflow authorizes its own
 * APIs: a SubjectAccessReview per candidate namespace and verb (`get`, `list` on `runs` in
 * `pipelines.kubeflow.org` for reads, as the view role grants; `create` for writes, as the
 * edit role does). Candidates are the namespaces with the profile label. Answers and the
 * namespace list are kept for the cache TTL; any API failure fails the call UNAVAILABLE.
 */
export class SubjectAccessReviewAuthorizer implements NamespaceAuthorizer {
  private readonly authorization: AuthorizationV1Api;
  private readonly core: CoreV1Api;
  private readonly decisions: TtlCache<boolean>;
  private readonly namespaces: TtlCache<string[]>;

  constructor(
    config: KubeConfig,
    private readonly settings: KubernetesAuthorizationSettings,
    private readonly onFailure: (detail: string) => void,
  ) {
    this.authorization = config.makeApiClient(AuthorizationV1Api);
    this.core = config.makeApiClient(CoreV1Api);
    this.decisions = new TtlCache(settings.cacheTtlMs);
    this.namespaces = new TtlCache(settings.cacheTtlMs, 1);
  }

  readable(user: UserSubject): Promise<ReadonlySet<string>> {
    return this.allowedNamespaces(user, this.settings.readVerbs);
  }

  writable(user: UserSubject): Promise<ReadonlySet<string>> {
    return this.allowedNamespaces(user, this.settings.writeVerbs);
  }

  private async allowedNamespaces(user: UserSubject, verbs: readonly string[]): Promise<ReadonlySet<string>> {
    const candidates = await this.candidates();
    const answers = await Promise.all(
      candidates.map(async (ns) => ((await Promise.all(verbs.map((verb) => this.allows(user, verb, ns)))).every(Boolean) ? ns : undefined)),
    );
    return new Set(answers.filter((ns): ns is string => ns !== undefined));
  }

  private candidates(): Promise<string[]> {
    return this.namespaces.get('namespaces', async () => {
      try {
        const list = await this.core.listNamespace({ labelSelector: this.settings.namespaceLabelSelector || undefined });
        return list.items.map((n) => n.metadata?.name).filter((n): n is string => !!n);
      } catch (e) {
        this.onFailure(`listing namespaces (${this.settings.namespaceLabelSelector}): ${describeKubernetesFailure(e)}`);
        throw new KubernetesApiError('namespace list', e);
      }
    });
  }

  private allows(user: UserSubject, verb: string, namespace: string): Promise<boolean> {
    const groups = [...user.groups].sort();
    const key = JSON.stringify([user.name, groups, verb, namespace]);
    return this.decisions.get(key, async () => {
      try {
        const review = await this.authorization.createSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: user.name,
              groups,
              resourceAttributes: { namespace, verb, group: this.settings.group, resource: this.settings.resource },
            },
          },
        });
        return review.status?.allowed === true && review.status.denied !== true;
      } catch (e) {
        this.onFailure(`SubjectAccessReview (${verb} ${this.settings.resource} in ${namespace}): ${describeKubernetesFailure(e)}`);
        throw new KubernetesApiError('SubjectAccessReview', e);
      }
    });
  }
}
