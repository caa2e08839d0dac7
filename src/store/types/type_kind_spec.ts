import { SIMPLE_TYPES, TypeKind } from '../../repositories/type_repository';

/** The message name of each type kind, as upstream names them in errors. */
export type TypeLabel = 'ArtifactType' | 'ExecutionType' | 'ContextType';

/** What differs between the three type kinds that share the `Type` table. */
export interface TypeKindSpec {
  kind: TypeKind;
  label: TypeLabel;
  /**
   * SystemDefinedBaseType number -> name of the built-in type it links to. Context types have
   * no built-in types: their enum has only UNSET.
   */
  baseTypeNames: ReadonlyMap<number, string>;
  /** Only execution types carry input_type / output_type. */
  hasStructTypes: boolean;
}

function baseTypes(kind: TypeKind): Map<number, string> {
  // The enum numbers follow the order in which upstream declares (and seeds) the simple types.
  const names = SIMPLE_TYPES.filter((t) => t.kind === kind).map((t) => t.name);
  return new Map(names.map((name, i) => [i + 1, name]));
}

export const ARTIFACT_TYPES: TypeKindSpec = {
  kind: TypeKind.ARTIFACT,
  label: 'ArtifactType',
  baseTypeNames: baseTypes(TypeKind.ARTIFACT),
  hasStructTypes: false,
};

export const EXECUTION_TYPES: TypeKindSpec = {
  kind: TypeKind.EXECUTION,
  label: 'ExecutionType',
  baseTypeNames: baseTypes(TypeKind.EXECUTION),
  hasStructTypes: true,
};

export const CONTEXT_TYPES: TypeKindSpec = {
  kind: TypeKind.CONTEXT,
  label: 'ContextType',
  baseTypeNames: new Map(),
  hasStructTypes: false,
};

/** The built-in type names of a kind; list-all reads hide types with these names. */
export function simpleTypeNames(spec: TypeKindSpec): ReadonlySet<string> {
  return new Set(spec.baseTypeNames.values());
}
