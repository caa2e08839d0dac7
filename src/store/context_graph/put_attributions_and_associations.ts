import type { Association, Attribution } from '../../generated/ml_metadata/proto/metadata_store';
import { insertMemberships, type MembershipRow } from '../../repositories/edge_repository';
import { existingNodeIds } from '../../repositories/node_existence';
import { storedIdOf, storedIds } from '../../repositories/stored_ids';
import { invalidArgument } from '../../errors';
import type { RpcImpl } from '../rpc';
import { inheritMembershipOwnership } from '../tenancy/node_ownership';
import { writableExisting } from '../tenancy/write_access';

/**
 * PutAttributionsAndAssociations (contract §7.1): attributions first, then associations, each
 * in request order; the first missing or unknown id rejects the whole request with
 * INVALID_ARGUMENT. Pairs already stored, or repeated in the request, are accepted silently.
 * Statements: one existence lookup for every referenced node, then one multi-row insert per
 * table.
 */
export const putAttributionsAndAssociations: RpcImpl<'putAttributionsAndAssociations'> = async (tx, request) => {
  const attributions = request.attributions ?? [];
  const associations = request.associations ?? [];
  if (attributions.length === 0 && associations.length === 0) return {};

  const ids = (values: (bigint | undefined)[]) =>
    storedIds(values);
  // Nodes the caller may not link (tenancy enforce) are treated as absent.
  const existing = await writableExisting(tx, await existingNodeIds(tx, {
    Context: ids([...attributions, ...associations].map((e) => e.contextId)),
    Artifact: ids(attributions.map((a) => a.artifactId)),
    Execution: ids(associations.map((a) => a.executionId)),
  }));

  const check = (
    edge: Attribution | Association,
    nodeId: bigint | undefined,
    at: string,
    node: { field: string; label: string; known: Set<number> },
  ): MembershipRow => {
    if (edge.contextId === undefined) throw invalidArgument(`No context id is specified (${at}.context_id is unset).`);
    if (nodeId === undefined) throw invalidArgument(`No ${node.label.toLowerCase()} id is specified (${at}.${node.field} is unset).`);
    const contextId = storedIdOf(edge.contextId);
    if (contextId === null || !existing.Context.has(contextId)) {
      throw invalidArgument(`Context id not found: ${edge.contextId} (${at}.context_id).`);
    }
    const stored = storedIdOf(nodeId);
    if (stored === null || !node.known.has(stored)) {
      throw invalidArgument(`${node.label} id not found: ${nodeId} (${at}.${node.field}).`);
    }
    return { contextId, nodeId: stored };
  };

  const attributionRows = attributions.map((a, i) =>
    check(a, a.artifactId, `attributions[${i}]`, { field: 'artifact_id', label: 'Artifact', known: existing.Artifact }),
  );
  const associationRows = associations.map((a, i) =>
    check(a, a.executionId, `associations[${i}]`, { field: 'execution_id', label: 'Execution', known: existing.Execution }),
  );

  const newAttributions = distinctPairs(attributionRows);
  const newAssociations = distinctPairs(associationRows);
  await insertMemberships(tx, 'Attribution', newAttributions);
  await insertMemberships(tx, 'Association', newAssociations);
  await inheritMembershipOwnership(tx, newAttributions, newAssociations);
  return {};
};

function distinctPairs(rows: MembershipRow[]): MembershipRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = `${r.contextId}:${r.nodeId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
