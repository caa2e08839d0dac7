import { createHash } from 'node:crypto';
import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { describeKubernetesFailure, KubernetesApiError } from './kubernetes_api_error';
import { TtlCache } from './ttl_cache';

/** Who Kubernetes says a bearer token belongs to; undefined when it does not accept the token. */
export interface ReviewedToken {
  readonly username: string;
  readonly groups: readonly string[];
}

export interface TokenReviewer {
  review(token: string): Promise<ReviewedToken | undefined>;
}

/**
 * Bearer tokens checked by the Kubernetes API (authentication.k8s.io/v1 TokenReview), with
 * the configured audiences (e.g. pipelines.kubeflow.org, as KFP's API server asks). Answers
 * are kept briefly per token hash (the token itself is never kept); an API failure fails the
 * call UNAVAILABLE.
 */
export class KubernetesTokenReviewer implements TokenReviewer {
  private readonly api: AuthenticationV1Api;
  private readonly cache: TtlCache<ReviewedToken | undefined>;

  constructor(
    config: KubeConfig,
    private readonly audiences: readonly string[],
    cacheTtlMs: number,
    private readonly onFailure: (detail: string) => void,
  ) {
    this.api = config.makeApiClient(AuthenticationV1Api);
    this.cache = new TtlCache(cacheTtlMs);
  }

  review(token: string): Promise<ReviewedToken | undefined> {
    const key = createHash('sha256').update(token).digest('base64url');
    return this.cache.get(key, async () => {
      let answer;
      try {
        answer = await this.api.createTokenReview({
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: this.audiences.length ? [...this.audiences] : undefined } },
        });
      } catch (e) {
        this.onFailure(describeKubernetesFailure(e));
        throw new KubernetesApiError('TokenReview', e);
      }
      const status = answer.status;
      if (!status?.authenticated || !status.user?.username) return undefined;
      // A token for other audiences is authenticated only if the API server says ours are among its.
      if (this.audiences.length && status.audiences && !status.audiences.some((a) => this.audiences.includes(a))) return undefined;
      return { username: status.user.username, groups: status.user.groups ?? [] };
    });
  }
}
