import type { TypeKindSpec } from './type_kind_spec';
import type { TypeMessage } from './type_message';

/** The evolution switches shared by every type of one put request. */
export interface TypeUpsertOptions {
  canAddFields: boolean;
  canOmitFields: boolean;
  /** Deprecated; upstream only supports true (its declared default). */
  allFieldsMatch: boolean;
}

export interface TypeUpsertEntry {
  spec: TypeKindSpec;
  /** The requested type; its `id` is ignored, as upstream ignores it. */
  type: TypeMessage;
  /** Where the entry sits in the request, for error messages ("artifact_types[2]"). */
  field: string;
}
