import type { Tx } from '../../database/database';
import { insertMemberships, type MembershipRow } from '../../repositories/edge_repository';
import { storedIds } from '../../repositories/stored_ids';
import { inheritMembershipOwnership } from '../tenancy/node_ownership';

function distinctStoredIds(ids: readonly bigint[]): number[] {
  return [...new Set(storedIds(ids))];
}

function allPairs(contextIds: number[], nodeIds: number[]): MembershipRow[] {
  const rows: MembershipRow[] = [];
  for (const contextId of contextIds) for (const nodeId of nodeIds) rows.push({ contextId, nodeId });
  return rows;
}

/**
 * Adds every execution to every context (Association) and every artifact to every context
 * (Attribution) unless already there: one idempotent multi-row INSERT per table, sent on MySQL
 * in one packet with the members' ownership lookup (inheritMembershipOwnership). Ids that
 * cannot name a stored artifact (upstream's -1 for an empty PutExecution pair) are skipped
 * rather than linked (deviation from upstream's quirk B27). Repeated ids link once.
 */
export async function linkToContexts(
  tx: Tx,
  contextIds: readonly bigint[],
  executionIds: readonly bigint[],
  artifactIds: readonly bigint[],
): Promise<void> {
  const contexts = distinctStoredIds(contextIds);
  if (contexts.length === 0) return;
  const associations = allPairs(contexts, distinctStoredIds(executionIds));
  const attributions = allPairs(contexts, distinctStoredIds(artifactIds));
  // With memberships to add, the ownership lookup always follows, and on MySQL the inserts ride
  // in its packet: three statements, one round trip.
  if (associations.length > 0) await insertMemberships(tx, 'Association', associations, { withNextStatement: true });
  if (attributions.length > 0) await insertMemberships(tx, 'Attribution', attributions, { withNextStatement: true });
  await inheritMembershipOwnership(tx, attributions, associations);
}
