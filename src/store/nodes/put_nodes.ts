import type { Tx } from '../../database/database';
import type { NodeMessages } from '../../repositories/node_repository';
import type { NodeKind } from '../../repositories/node_kind';
import type { AnyNode } from './node_field_mask';
import { defaultFieldOf, planNodeWrites } from './node_write_plan';
import { firstUniquenessViolation } from './node_uniqueness_check';
import { writeNodePlan } from './node_plan_writes';
import type { NodeWritePlan } from './node_write_plan';
import { claimedNamespace, recordNodeOwnership } from '../tenancy/node_ownership';
import { checkNamespaceClaims } from '../tenancy/write_access';

interface PutNodesOptions {
  /** FieldMask paths for nodes with an id; empty or absent = replace the whole node. */
  updateMask?: readonly string[];
  /** PutArtifacts' optimistic check (contract §5.8). */
  abortIfLatestUpdatedTimeChanged?: boolean;
  /**
   * Rewrite every updated node (bumping last_update_time_since_epoch) even when nothing
   * differs from the stored node: PutExecution's `force_update_time` (contract §5.5).
   */
  forceUpdate?: boolean;
  /**
   * How messages name the node at `index` of this call, for callers whose nodes come from
   * another request field (PutExecution's `artifact_event_pairs[i].artifact`); default
   * `<kind>s[<index>]`.
   */
  fieldOf?: (index: number) => string;
}

/**
 * PutArtifacts / PutExecutions / PutContexts: creates nodes without id, updates nodes with
 * one, and answers their ids index-aligned. The whole request is validated before anything
 * is written; the statements issued do not depend on how many nodes or properties it holds.
 */
export async function putNodes<K extends NodeKind>(
  tx: Tx,
  kind: K,
  requestNodes: readonly NodeMessages[K][] | undefined,
  options: PutNodesOptions = {},
): Promise<bigint[]> {
  const nodes = (requestNodes ?? []) as readonly AnyNode[];
  if (nodes.length === 0) return [];
  const fieldOf = options.fieldOf ?? defaultFieldOf(kind);

  // Plan: load what the request names and validate every node before anything is written.
  const plan = await planNodeWrites(tx, kind, nodes, options.updateMask ?? [], options.abortIfLatestUpdatedTimeChanged, fieldOf);

  // Check: a uniqueness clash before the first invalid node is reported ahead of that node's error.
  const checkedUpTo = plan.validationError?.index ?? nodes.length;
  const clash = await firstUniquenessViolation(tx, kind, nodes, plan.finals, plan.updatesInOrder, plan.creates, checkedUpTo, fieldOf);
  if (clash) throw clash.error;
  if (plan.validationError) throw plan.validationError.error;

  const claims = namespaceClaims(kind, plan);
  checkNamespaceClaims(
    tx,
    claims.created.flatMap((c, i) => (c === undefined ? [] : [{ namespace: c, where: fieldOf(plan.creates[i].index) }])),
  );
  checkNamespaceClaims(tx, claims.changed.flatMap((c) => (c.after === undefined ? [] : [{ namespace: c.after, where: fieldOf(c.index) }])));

  // Write: every statement after this point runs only for a request that is valid as a whole.
  const newIds = await writeNodePlan(tx, kind, plan, options.forceUpdate, options.abortIfLatestUpdatedTimeChanged);
  await recordNodeOwnership(
    tx,
    kind,
    newIds.map((id, i) => ({ id, claimed: claims.created[i] })),
    claims.changed.map((c) => c.id),
  );
  const createdIdAt = new Map(plan.creates.map((c, i) => [c.index, newIds[i]]));
  return nodes.map((n, index) => (n.id !== undefined ? n.id : BigInt(createdIdAt.get(index)!)));
}

/**
 * The namespaces the plan's nodes claim (tenancy): per created node (in plan.creates order),
 * and the updated nodes whose claim changes. Read from the plan, without a statement.
 */
function namespaceClaims(kind: NodeKind, plan: NodeWritePlan) {
  const created = plan.creates.map((c) => claimedNamespace(kind, plan.typeNames.get(Number(c.values.type_id)), c.customProperties));
  const changed: { id: number; index: number; after: string | undefined }[] = [];
  const lastIndexOf = new Map(plan.updatesInOrder.map((u) => [u.id, u.index]));
  for (const [id, target] of plan.finals) {
    const original = plan.stored.get(id)!;
    const typeName = plan.typeNames.get(Number(original.typeId));
    const before = claimedNamespace(kind, typeName, original.customProperties);
    const after = claimedNamespace(kind, typeName, target.customProperties);
    if (before !== after) changed.push({ id, index: lastIndexOf.get(id)!, after });
  }
  return { created, changed };
}
