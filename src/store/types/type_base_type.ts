import type { TypeRecord } from '../../repositories/type_repository';
import { internal, unimplemented } from '../../errors';
import type { TypeKindSpec } from './type_kind_spec';
import type { WorkingType } from './working_type';

/** The id of a built-in simple type (the parent a base_type names), among the loaded types. */
function simpleTypeId(stored: readonly TypeRecord[], spec: TypeKindSpec, name: string): number {
  const found = stored.find((r) => r.kind === spec.kind && r.name === name && r.version === undefined);
  if (!found) throw internal(`The built-in ${spec.label} "${name}" is missing from the database.`);
  return found.id;
}

/** base_type handling (contract §4.6): link once; never change or remove a link. */
export function applyBaseType(
  working: WorkingType,
  baseType: number | undefined,
  spec: TypeKindSpec,
  stored: readonly TypeRecord[],
): void {
  if (baseType === undefined) return;
  if (baseType === 0) throw unimplemented('base_type deletion is not supported yet');
  const parentName = spec.baseTypeNames.get(baseType);
  // A number the enum does not declare: upstream's proto2 parser keeps it as an unknown field,
  // so the field reads as absent there; treat it the same way.
  if (parentName === undefined) return;
  const parentId = simpleTypeId(stored, spec, parentName);
  if (working.parentIds.length === 0) {
    working.parentIds.push(parentId);
    working.newParentIds.push(parentId);
  } else if (!working.parentIds.includes(parentId)) {
    throw unimplemented('base_type update is not supported yet');
  }
}
