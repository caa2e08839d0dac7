import type { Tx } from '../../database/database';
import { MlmdError, StatusCode } from '../../errors';
import type { ExistingNodeIds } from '../../repositories/node_existence';
import { existingNodeIds } from '../../repositories/node_existence';
import { visibleNodeIds } from '../../repositories/node_namespace_repository';
import { kindOfNodeTable, nodeTables, type NodeKind } from '../../repositories/node_kind';
import { tenancyOf } from './call_tenancy';

/**
 * Write refusals (tenancy enforce): a write that updates or links a node the caller may not
 * write meets that node as absent, so it gets exactly the error an absent id gets in that
 * RPC (its code and message), and learns nothing about other namespaces' nodes. In audit
 * mode the same decisions are reported and the write goes on. Without a scope, or for a
 * caller who may write everywhere, nothing runs.
 */

/**
 * The ids among `ids` the caller may write (all of them without a scope or in audit mode):
 * one statement, plus one more only when some id is not writable (to tell foreign nodes,
 * which are reported, from absent ones, which are not).
 */
export async function writableIds(tx: Tx, kind: NodeKind, ids: readonly number[]): Promise<number[]> {
  const tenancy = tenancyOf(tx);
  const decision = tenancy?.writeDecision;
  if (!tenancy || !decision || ids.length === 0) return [...ids];
  const writable = await visibleNodeIds(tx, kind, ids, decision);
  const refused = [...new Set(ids.filter((id) => !writable.has(id)))];
  if (refused.length === 0) return [...ids];
  const foreign = (await existingNodeIds(tx, { [nodeTables(kind).node]: refused }))[nodeTables(kind).node];
  tenancy.report('foreign_write', foreign.size);
  return tenancy.enforcing ? ids.filter((id) => writable.has(id)) : [...ids];
}

/** `existing` (from existingNodeIds) without the nodes the caller may not write. */
export async function writableExisting(tx: Tx, existing: ExistingNodeIds): Promise<ExistingNodeIds> {
  const tenancy = tenancyOf(tx);
  if (!tenancy?.writeDecision) return existing;
  const result: ExistingNodeIds = { Artifact: new Set(), Execution: new Set(), Context: new Set() };
  for (const table of ['Artifact', 'Execution', 'Context'] as const) {
    if (existing[table].size === 0) continue;
    const kind = kindOfNodeTable(table);
    const writable = await visibleNodeIds(tx, kind, existing[table], tenancy.writeDecision);
    const refused = [...existing[table]].filter((id) => !writable.has(id));
    tenancy.report('foreign_write', refused.length);
    result[table] = tenancy.enforcing ? writable : existing[table];
  }
  return result;
}

/**
 * Refuses a run context (or container execution) that claims a namespace the caller may not
 * write. PERMISSION_DENIED rather than NOT_FOUND: the caller named the namespace itself, so
 * saying it may not write there reveals nothing it did not send, and a create answered "not
 * found" would only mislead; INVALID_ARGUMENT would call a well-formed request malformed.
 */
export function checkNamespaceClaims(tx: Tx, claims: readonly { namespace: string; where: string }[]): void {
  const tenancy = tenancyOf(tx);
  if (!tenancy || claims.length === 0) return;
  const refused = claims.filter((c) => !tenancy.mayClaim(c.namespace));
  tenancy.refuse('foreign_namespace_claim', refused.length, () => {
    const first = refused[0];
    return new MlmdError(
      StatusCode.PERMISSION_DENIED,
      `${first.where} claims namespace "${first.namespace}", which the caller (${tenancy.scope.principal}) may not write.`,
    );
  });
}
