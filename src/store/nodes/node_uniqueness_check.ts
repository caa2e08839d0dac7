import type { Tx } from '../../database/database';
import { nodesWithExternalIds, nodesWithTypeAndNames, type NodeRowValues } from '../../repositories/node_write_repository';
import { alreadyExists, type MlmdError } from '../../errors';
import { nodeTables, type NodeKind } from '../../repositories/node_kind';
import type { AnyNode, FinalState } from './node_field_mask';
import { describe, type CreatePlan, type FieldOf } from './node_write_plan';

type Owner = number | `new:${number}`;

/**
 * Finds the first request index whose node would break a uniqueness rule ((type_id, name) or
 * external_id within the kind), against stored nodes and earlier nodes of the same request.
 * Checking before writing keeps PostgreSQL's transaction usable and the message precise.
 */
export async function firstUniquenessViolation(
  tx: Tx,
  kind: NodeKind,
  nodes: readonly AnyNode[],
  finals: Map<number, FinalState>,
  updatesInOrder: { index: number; id: number }[],
  creates: CreatePlan[],
  limit: number,
  fieldOf: FieldOf,
): Promise<{ index: number; error: MlmdError } | undefined> {
  const updatedIds = new Set(updatesInOrder.map((u) => u.id));
  type Step = { index: number; owner: Owner; values: NodeRowValues };
  const steps: Step[] = [
    ...creates.map((c) => ({ index: c.index, owner: `new:${c.index}` as Owner, values: c.values })),
    ...updatesInOrder.map((u) => ({ index: u.index, owner: u.id as Owner, values: finals.get(u.id)!.values })),
  ]
    .filter((s) => s.index < limit)
    .sort((a, b) => a.index - b.index);
  if (steps.length === 0) return undefined;

  const nameKey = (typeId: number, name: string) => `${typeId}\u0000${name}`;
  const externalIds = steps.map((s) => s.values.external_id).filter((e): e is string => e !== null);
  const namePairs = steps.filter((s) => s.values.name !== null).map((s) => [s.values.type_id, s.values.name!] as [number, string]);
  const byExternalId = externalIds.length > 0 ? await nodesWithExternalIds(tx, kind, externalIds) : [];
  const byName = namePairs.length > 0 ? await nodesWithTypeAndNames(tx, kind, namePairs) : [];
  const externalOwners = new Map<string, Owner>();
  const nameOwners = new Map<string, Owner>();
  // Stored rows of nodes this request updates are represented by their final state instead,
  // except artifact/execution names, which updates never change.
  for (const row of byExternalId) if (!updatedIds.has(row.id)) externalOwners.set(row.external_id!, row.id);
  for (const row of byName) if (!updatedIds.has(row.id) || kind !== 'context') nameOwners.set(nameKey(row.type_id, row.name!), row.id);

  const label = nodeTables(kind).label;
  for (const step of steps) {
    const { external_id: externalId, name, type_id: typeId } = step.values;
    const where = describe(fieldOf, step.index, nodes[step.index]);
    if (name !== null && (kind === 'context' || typeof step.owner !== 'number')) {
      const holder = nameOwners.get(nameKey(typeId, name));
      if (holder !== undefined && holder !== step.owner) {
        return {
          index: step.index,
          error: alreadyExists(`${label} name "${name}" already exists for type_id ${typeId}: ${where} clashes with ${describeOwner(kind, holder, fieldOf)}.`),
        };
      }
      nameOwners.set(nameKey(typeId, name), step.owner);
    }
    if (externalId !== null) {
      const holder = externalOwners.get(externalId);
      if (holder !== undefined && holder !== step.owner) {
        return {
          index: step.index,
          error: alreadyExists(`${label} external_id "${externalId}" already exists: ${where} clashes with ${describeOwner(kind, holder, fieldOf)}.`),
        };
      }
      externalOwners.set(externalId, step.owner);
    }
  }
  return undefined;
}

const describeOwner = (kind: NodeKind, owner: Owner, fieldOf: FieldOf) =>
  typeof owner === 'number' ? `stored ${kind} id ${owner}` : `${fieldOf(Number(owner.slice(4)))} of the same request`;
