/**
 * What the store needs to know about a caller to isolate namespaces (issue 15). The transport
 * decides it before the store runs (who is calling, which namespaces they may see); the store
 * applies it to every read and write of the call. No scope (CallOptions.tenancy undefined) is
 * tenancy `off`: today's behaviour, byte for byte.
 *
 * This file is the contract between the two halves of the tenancy work: src/tenancy/ (and the
 * transport) build scopes, src/store/ and src/repositories/ obey them.
 */

/** `audit` decides everything but serves everything (denials are only reported); `enforce` filters and refuses. */
export type TenancyMode = 'audit' | 'enforce';

/** Why a node or write was (or, in audit mode, would have been) refused: the metrics label. */
export type DenialReason =
  /** A node owned only by namespaces the caller may not read. */
  | 'foreign_node'
  /** A node with no owner while unowned nodes are system-only. */
  | 'unowned_node'
  /** A write touching (updating, linking) a node the caller may not write. */
  | 'foreign_write'
  /** A new or updated run context claiming a namespace the caller may not write. */
  | 'foreign_namespace_claim'
  /** The call has no principal and anonymous callers are denied on this listener. */
  | 'anonymous';

export interface TenancyDenial {
  rpc: string;
  reason: DenialReason;
  /** How many nodes/edges the decision hid or refused (1 for a refused write). */
  count: number;
}

export interface TenancyScope {
  readonly mode: TenancyMode;
  /** For logs and metrics only ("user:alice@example.com", "serviceaccount:ns/sa", "anonymous"). */
  readonly principal: string;
  /** Namespaces whose nodes the caller may read; 'all' = nothing is filtered (system principals). */
  readonly readable: ReadonlySet<string> | 'all';
  /** Namespaces the caller may write into, link within, or claim for a new run context. */
  readonly writable: ReadonlySet<string> | 'all';
  /** Whether nodes that belong to no namespace (TFX, Kubeflow v1, hand-written) are visible and writable. */
  readonly unownedVisible: boolean;
  /**
   * The namespace a node the caller creates belongs to when nothing in the request names one
   * (no run context): the caller's only writable namespace, if it has exactly one.
   */
  readonly defaultNamespace?: string;
  /** Reported for every denial (enforced or, in audit mode, would-be). */
  onDenial?(denial: TenancyDenial): void;
}
