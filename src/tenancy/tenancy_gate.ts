import { MlmdError, StatusCode } from '../errors';
import type { DenialReason, TenancyDenial, TenancyMode, TenancyScope } from '../store/tenancy/tenancy_scope';
import type { CallCredentials } from './call_credentials';
import type { NamespaceAuthorizer } from './namespace_authorizer';
import { describePrincipal, type Principal } from './principal';
import type { PrincipalResolver } from './principal_resolver';
import type { TenancySettings } from './tenancy_settings';

/** Where decisions are counted (src/observability/tenancy_metrics.ts). */
export interface DenialObserver {
  denied(rpc: string, reason: DenialReason, mode: TenancyMode, count: number): void;
}

/** The few log calls the gate makes (a pino logger fits). */
export interface TenancyLog {
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface TenancyGateDeps {
  resolver: PrincipalResolver;
  /** Required when users can be identified (user headers, OIDC, TokenReview of user tokens). */
  authorizer?: NamespaceAuthorizer;
  observer?: DenialObserver;
  log?: TenancyLog;
}

const NOTHING: ReadonlySet<string> = new Set();
/** A Kubernetes namespace name (RFC 1123 label). */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Decides, per call, the TenancyScope the store applies: who is calling (PrincipalResolver),
 * which namespaces they may read and write (the authorizer, for users), and what the
 * listener's policy for anonymous callers says. A call that may not proceed at all fails
 * here (UNAUTHENTICATED; UNAVAILABLE when Kubernetes cannot answer). In audit mode nothing
 * fails: would-be refusals are reported and the call is served as with tenancy off.
 */
export class TenancyGate {
  constructor(
    private readonly settings: TenancySettings,
    private readonly deps: TenancyGateDeps,
  ) {}

  get mode(): TenancyMode {
    return this.settings.mode;
  }

  /** `write`: the RPC writes (Put*, Delete*), so the caller's writable namespaces are needed too. */
  async scopeFor(rpc: string, write: boolean, call: CallCredentials): Promise<TenancyScope> {
    let principal: Principal;
    try {
      principal = await this.deps.resolver.resolve(call);
      return await this.scopeOf(rpc, write, call, principal);
    } catch (e) {
      if (this.settings.mode === 'audit' && e instanceof MlmdError && e.code === StatusCode.UNAVAILABLE) {
        // Audit mode must not turn an outage of the Kubernetes API into an outage of MLMD.
        this.deps.log?.warn({ rpc, err: (e.cause as Error | undefined)?.message ?? e.message }, 'tenancy (audit): cannot authorize the call; serving it unfiltered');
        return this.scope('unresolved', 'all', 'all', true, rpc);
      }
      throw e;
    }
  }

  private async scopeOf(rpc: string, write: boolean, call: CallCredentials, principal: Principal): Promise<TenancyScope> {
    const name = describePrincipal(principal);
    const unowned = this.settings.unownedVisible;
    switch (principal.kind) {
      case 'system':
        return this.scope(name, 'all', 'all', true, rpc);
      case 'namespace': {
        const own = new Set([principal.namespace]);
        return this.scope(name, own, own, unowned, rpc, principal.namespace);
      }
      case 'user': {
        const authorizer = this.deps.authorizer;
        if (!authorizer) return this.scope(name, NOTHING, NOTHING, unowned, rpc);
        const subject = { name: principal.name, groups: principal.groups };
        const [readable, writable] = await Promise.all([authorizer.readable(subject), write ? authorizer.writable(subject) : NOTHING]);
        return this.scope(name, readable, writable, unowned, rpc, writable.size === 1 ? [...writable][0] : undefined);
      }
      case 'anonymous':
        return this.anonymousScope(rpc, call);
    }
  }

  private anonymousScope(rpc: string, call: CallCredentials): TenancyScope {
    if (call.listener === 'web') {
      return this.refuse(rpc, 'The gRPC-web/JSON port serves only identified callers (a trusted user header, a bearer token or an mTLS identity); this call carried none.');
    }
    const policy = this.settings.anonymous.grpc;
    if (policy === 'allow') return this.scope('anonymous', 'all', 'all', true, rpc);
    if (policy === 'deny') return this.refuse(rpc, 'This server requires callers to identify themselves (mTLS, a bearer token or trusted user headers); this call carried no identity.');
    const header = this.settings.anonymous.claimedNamespaceHeader;
    const claimed = call.header(header)?.trim();
    if (!claimed) {
      return this.refuse(rpc, `This server requires anonymous callers to name their namespace in the ${header} header; this call named none.`);
    }
    if (!NAMESPACE.test(claimed)) {
      const message = `The ${header} header must be a Kubernetes namespace name; got ${JSON.stringify(claimed.slice(0, 80))}.`;
      if (this.settings.mode === 'audit') return this.refuse(rpc, message);
      throw new MlmdError(StatusCode.INVALID_ARGUMENT, message);
    }
    const own = new Set([claimed]);
    return this.scope(`claimed:${claimed}`, own, own, this.settings.unownedVisible, rpc, claimed);
  }

  /** An anonymous call the policy refuses: UNAUTHENTICATED in enforce mode, reported and served in audit mode. */
  private refuse(rpc: string, message: string): TenancyScope {
    this.report('anonymous', 'anonymous', { rpc, reason: 'anonymous', count: 1 });
    if (this.settings.mode === 'audit') return this.scope('anonymous', 'all', 'all', true, rpc);
    throw new MlmdError(StatusCode.UNAUTHENTICATED, message);
  }

  private scope(
    principal: string,
    readable: ReadonlySet<string> | 'all',
    writable: ReadonlySet<string> | 'all',
    unownedVisible: boolean,
    rpc: string,
    defaultNamespace?: string,
  ): TenancyScope {
    return {
      mode: this.settings.mode,
      principal,
      readable,
      writable,
      unownedVisible,
      defaultNamespace,
      onDenial: (denial) => this.report(principal, denial.reason, denial.rpc ? denial : { ...denial, rpc }),
    };
  }

  private report(principal: string, reason: DenialReason, denial: TenancyDenial): void {
    const mode = this.settings.mode;
    this.deps.observer?.denied(denial.rpc, reason, mode, denial.count);
    const fields = { rpc: denial.rpc, reason, count: denial.count, principal, tenancy: mode };
    // Audit mode exists to show these; in enforce mode, filtering is routine (debug) but a refused caller is not.
    if (mode === 'audit') this.deps.log?.info(fields, 'tenancy (audit): would deny');
    else if (reason === 'anonymous') this.deps.log?.info(fields, 'tenancy: call refused');
    else this.deps.log?.debug(fields, 'tenancy: denied');
  }
}
