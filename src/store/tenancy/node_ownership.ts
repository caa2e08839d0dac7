import type { Tx } from '../../database/database';
import type { Value } from '../../generated/ml_metadata/proto/metadata_store';
import { memberIdsOfContext, type MembershipRow } from '../../repositories/edge_repository';
import {
  CONTAINER_EXECUTION_TYPE,
  insertOwnership,
  MAX_NAMESPACE_LENGTH,
  NAMESPACE_PROPERTY,
  refreshDerivedOwnership,
  RUN_CONTEXT_TYPE,
  runOwnersOfContexts,
  type OwnershipRow,
} from '../../repositories/node_namespace_repository';
import type { NodeKind } from '../../repositories/node_kind';
import { tenancyOf } from './call_tenancy';

/**
 * Keeps the ownership table current inside the writing transaction, with tenancy off too
 * (so switching it on later finds it right). The rules are the table's derivation
 * (src/database/schema/node_namespace_ownership.ts), applied here to what a write changes,
 * so that a rebuild from MLMD's tables would give the same rows. Statements are added only
 * to writes that can change ownership: a created or renamespaced run context or container
 * execution, a membership in contexts, a node created under a default namespace.
 */

/** The namespace a node claims through Kubeflow's marks, if any. */
export function claimedNamespace(kind: NodeKind, typeName: string | undefined, customProperties: { [key: string]: Value } | undefined): string | undefined {
  const markedType = kind === 'context' ? RUN_CONTEXT_TYPE : kind === 'execution' ? CONTAINER_EXECUTION_TYPE : undefined;
  if (markedType === undefined || typeName !== markedType) return undefined;
  const value = customProperties?.[NAMESPACE_PROPERTY]?.stringValue;
  // Code points, as the database's CHAR_LENGTH / LENGTH count them.
  if (value === undefined || value === '' || [...value].length > MAX_NAMESPACE_LENGTH) return undefined;
  return value;
}

export interface CreatedNode {
  id: number;
  claimed: string | undefined;
}

/**
 * Ownership of the nodes one putNodes created, and of the updated nodes whose claimed
 * namespace changed (`renamespaced`): the created ones' rows in one insert; the changed
 * ones (and, for a run context, its members) recomputed from the tables.
 */
export async function recordNodeOwnership(tx: Tx, kind: NodeKind, created: readonly CreatedNode[], renamespaced: readonly number[]): Promise<void> {
  const defaultNamespace = tenancyOf(tx)?.scope.defaultNamespace;
  const rows: OwnershipRow[] = [];
  for (const node of created) {
    if (node.claimed !== undefined) rows.push({ kind, nodeId: node.id, namespace: node.claimed, source: 'run' });
    // Contexts are owned only through their own mark: a shared pipeline context created by a
    // scoped caller must stay shared, or every other namespace's runs would lose it.
    if (defaultNamespace !== undefined && kind !== 'context') rows.push({ kind, nodeId: node.id, namespace: defaultNamespace, source: 'creator' });
  }
  if (rows.length > 0) await insertOwnership(tx, rows);
  if (renamespaced.length === 0) return;
  await refreshDerivedOwnership(tx, kind, renamespaced);
  if (kind !== 'context') return;
  const artifacts: number[] = [];
  const executions: number[] = [];
  for (const contextId of renamespaced) {
    artifacts.push(...(await memberIdsOfContext(tx, 'Attribution', contextId)));
    executions.push(...(await memberIdsOfContext(tx, 'Association', contextId)));
  }
  if (artifacts.length > 0) await refreshDerivedOwnership(tx, 'artifact', artifacts);
  if (executions.length > 0) await refreshDerivedOwnership(tx, 'execution', executions);
}

/**
 * New memberships: each member inherits the run namespaces of its contexts. One lookup of
 * the contexts' owners, and one insert only when some context has any.
 */
export async function inheritMembershipOwnership(
  tx: Tx,
  attributions: readonly MembershipRow[],
  associations: readonly MembershipRow[],
): Promise<void> {
  if (attributions.length === 0 && associations.length === 0) return;
  const owners = await runOwnersOfContexts(tx, [...attributions, ...associations].map((r) => r.contextId));
  if (owners.size === 0) return;
  const rows: OwnershipRow[] = [];
  const inherit = (kind: NodeKind, memberships: readonly MembershipRow[]) => {
    for (const m of memberships) for (const namespace of owners.get(m.contextId) ?? []) rows.push({ kind, nodeId: m.nodeId, namespace, source: 'run' });
  };
  inherit('artifact', attributions);
  inherit('execution', associations);
  if (rows.length > 0) await insertOwnership(tx, rows);
}
