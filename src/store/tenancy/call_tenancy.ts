import type { Tx } from '../../database/database';
import type { NodeVisibility } from '../../repositories/node_namespace_repository';
import type { DenialReason, TenancyDenial, TenancyScope } from './tenancy_scope';

/**
 * One call's tenancy, as the store applies it. MetadataStore.call binds it to the call's
 * transaction (bindTenancy), so the read and write paths several modules deep ask the
 * transaction they already receive (tenancyOf) instead of every function growing a
 * parameter; without a scope nothing is bound and every path is today's, statement for
 * statement.
 */
export class CallTenancy {
  /** What enforce hides from reads; undefined = nothing (audit serves everything, 'all' sees everything). */
  readonly readFilter: NodeVisibility | undefined;
  /** What the caller may read, also in audit mode (to report what enforce would hide). */
  readonly readDecision: NodeVisibility | undefined;
  /** What the caller may write, update or link to; undefined = anything. */
  readonly writeDecision: NodeVisibility | undefined;

  constructor(
    readonly scope: TenancyScope,
    readonly rpc: string,
  ) {
    this.readDecision = visibilityOf(scope.readable, scope.unownedVisible);
    this.writeDecision = visibilityOf(scope.writable, scope.unownedVisible);
    this.readFilter = scope.mode === 'enforce' ? this.readDecision : undefined;
  }

  get enforcing(): boolean {
    return this.scope.mode === 'enforce';
  }

  /** Whether the caller may claim `namespace` for a run context or a container execution. */
  mayClaim(namespace: string): boolean {
    return this.scope.writable === 'all' || this.scope.writable.has(namespace);
  }

  private readonly denials: TenancyDenial[] = [];

  /** Records a decision (enforced, or in audit mode would-be); nothing for a zero count. */
  report(reason: DenialReason, count: number): void {
    if (count > 0) this.denials.push({ rpc: this.rpc, reason, count });
  }

  /** Hands the recorded decisions to the scope, once the call has settled. */
  flushDenials(): void {
    for (const denial of this.denials.splice(0)) this.scope.onDenial?.(denial);
  }

  /**
   * A refused write: reported, then, when enforcing, `refusal()` is thrown; in audit mode the
   * write goes on.
   */
  refuse(reason: DenialReason, count: number, refusal: () => Error): void {
    if (count <= 0) return;
    this.report(reason, count);
    if (this.enforcing) throw refusal();
  }
}

function visibilityOf(namespaces: ReadonlySet<string> | 'all', unownedVisible: boolean): NodeVisibility | undefined {
  return namespaces === 'all' ? undefined : { namespaces: [...namespaces].sort(), unowned: unownedVisible };
}

const bound = new WeakMap<Tx, CallTenancy>();

export function bindTenancy(tx: Tx, tenancy: CallTenancy): void {
  bound.set(tx, tenancy);
}

/** The tenancy of the call `tx` belongs to, or undefined (tenancy off). */
export function tenancyOf(tx: Tx): CallTenancy | undefined {
  return bound.get(tx);
}

/** The read filter of the call (enforce with a restricted scope), or undefined. */
export function readFilterOf(tx: Tx): NodeVisibility | undefined {
  return bound.get(tx)?.readFilter;
}
