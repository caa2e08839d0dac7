import type { TypeKind } from '../../repositories/type_repository';
import { alreadyExists } from '../../errors';
import { SPEC_BY_KIND, type WorkingType } from './working_type';

/** Who holds an external id: a stored type (by id) or a type of this request. */
export interface ExternalIdHolder {
  kind: TypeKind;
  id?: number;
  owner?: WorkingType;
}

/**
 * Gives `externalId` to `claimant`, releasing the one it held, unless another type holds it:
 * type external ids are unique across all kinds.
 */
export function claimExternalId(
  externalIdHolders: Map<string, ExternalIdHolder>,
  externalId: string,
  claimant: WorkingType,
  where: string,
): void {
  const holder = externalIdHolders.get(externalId);
  const isClaimant = holder !== undefined && (holder.owner === claimant || (holder.id !== undefined && holder.id === claimant.id));
  if (holder !== undefined && !isClaimant) {
    const holderName = holder.id !== undefined ? `${SPEC_BY_KIND[holder.kind].label} with id ${holder.id}` : `another ${SPEC_BY_KIND[holder.kind].label} of this request`;
    if (holder.kind === claimant.spec.kind) {
      throw alreadyExists(`Conflict of external_id: ${where}.external_id "${externalId}" is already used by ${holderName}.`);
    }
    // Upstream lets the column's UNIQUE index fail here (INTERNAL); checking first keeps
    // PostgreSQL's transaction usable and gives the same code as the same-kind clash.
    throw alreadyExists(`Conflict of external_id: ${where}.external_id "${externalId}" is already used by ${holderName}; type external ids are unique across all kinds.`);
  }
  if (claimant.externalId !== undefined) {
    const previous = externalIdHolders.get(claimant.externalId);
    if (previous !== undefined && (previous.owner === claimant || (previous.id !== undefined && previous.id === claimant.id))) {
      externalIdHolders.delete(claimant.externalId);
    }
  }
  externalIdHolders.set(externalId, { kind: claimant.spec.kind, id: claimant.id, owner: claimant });
}
