import type { Tx } from '../../database/database';
import { insertMemberships, type MembershipRow } from '../../repositories/edge_repository';
import { storedIdOf } from '../../repositories/node_existence';

function storedIds(ids: readonly bigint[]): number[] {
  return [...new Set(ids.map(storedIdOf).filter((id): id is number => id !== null))];
}

function allPairs(contextIds: number[], nodeIds: number[]): MembershipRow[] {
  const rows: MembershipRow[] = [];
  for (const contextId of contextIds) for (const nodeId of nodeIds) rows.push({ contextId, nodeId });
  return rows;
}

/**
 * Adds every execution to every context (Association) and every artifact to every context
 * (Attribution) unless already there: one idempotent multi-row INSERT per table. Ids that
 * cannot name a stored artifact (upstream's -1 for an empty PutExecution pair) are skipped
 * rather than linked (deviation from upstream's quirk B27). Repeated ids link once.
 */
export async function linkToContexts(
  tx: Tx,
  contextIds: readonly bigint[],
  executionIds: readonly bigint[],
  artifactIds: readonly bigint[],
): Promise<void> {
  const contexts = storedIds(contextIds);
  if (contexts.length === 0) return;
  const associations = allPairs(contexts, storedIds(executionIds));
  const attributions = allPairs(contexts, storedIds(artifactIds));
  if (associations.length > 0) await insertMemberships(tx, 'Association', associations);
  if (attributions.length > 0) await insertMemberships(tx, 'Attribution', attributions);
}
