import type { PropertyType } from '../../generated/ml_metadata/proto/metadata_store';
import type { TypeKind } from '../../repositories/type_repository';
import { ARTIFACT_TYPES, CONTEXT_TYPES, EXECUTION_TYPES, type TypeKindSpec } from './type_kind_spec';

/** A type as this request will leave it: loaded from the database or created by an entry. */
export interface WorkingType {
  /** Undefined until a created type is inserted. */
  id?: number;
  spec: TypeKindSpec;
  name: string;
  version?: string;
  description?: string;
  externalId?: string;
  inputTypeJson?: string;
  outputTypeJson?: string;
  properties: Map<string, PropertyType>;
  /** Properties an entry added to an already stored type. */
  addedProperties: Map<string, PropertyType>;
  parentIds: number[];
  newParentIds: number[];
  externalIdChanged: boolean;
}

export const SPEC_BY_KIND: Record<TypeKind, TypeKindSpec> = { 0: EXECUTION_TYPES, 1: ARTIFACT_TYPES, 2: CONTEXT_TYPES };
