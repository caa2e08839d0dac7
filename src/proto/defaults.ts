// The proto2 `[default = ...]` values of the wire contract, applied in one place.
//
// ts-proto (useOptionals=all, noDefaultsForOptionals) decodes an absent optional field as
// `undefined` and never fills in a declared default, which keeps presence observable but
// means code reading e.g. `options.maxResultSize` must apply the default itself. Do it through
// these accessors so every RPC agrees with upstream, which reads the generated C++ getters
// (and so gets the declared default whenever a field is absent). Explicit values, including
// zero/false, are always kept as sent.
//
// test/contract/defaults.test.ts checks that DECLARED_DEFAULTS lists exactly the fields that
// declare a default in the official descriptors, with the same values, and that each accessor
// applies it.
import {
  GetArtifactsByIDRequest,
  PutArtifactTypeRequest,
  PutContextTypeRequest,
  PutExecutionTypeRequest,
  PutTypesRequest,
} from '../generated/ml_metadata/proto/metadata_store_service';
import {
  LineageGraphQueryOptions,
  LineageSubgraphQueryOptions_EndingNodes,
  ListOperationOptions,
  ListOperationOptions_OrderByField,
  ListOperationOptions_OrderByField_Field,
  MigrationOptions,
} from '../generated/ml_metadata/proto/metadata_store';

/** Every declared default, keyed by fully qualified proto field name, typed as ts-proto types the field. */
export const DECLARED_DEFAULTS = {
  'ml_metadata.MigrationOptions.downgrade_to_schema_version': -1n,
  'ml_metadata.ListOperationOptions.max_result_size': 20,
  'ml_metadata.ListOperationOptions.OrderByField.field': ListOperationOptions_OrderByField_Field.ID,
  'ml_metadata.ListOperationOptions.OrderByField.is_asc': true,
  'ml_metadata.LineageGraphQueryOptions.max_node_size': 20n,
  'ml_metadata.LineageSubgraphQueryOptions.EndingNodes.include_ending_nodes': false,
  'ml_metadata.PutArtifactTypeRequest.all_fields_match': true,
  'ml_metadata.PutExecutionTypeRequest.all_fields_match': true,
  'ml_metadata.PutContextTypeRequest.all_fields_match': true,
  'ml_metadata.PutTypesRequest.all_fields_match': true,
  'ml_metadata.GetArtifactsByIDRequest.populate_artifact_types': false,
} as const;

export type DeclaredDefaultField = keyof typeof DECLARED_DEFAULTS;

/** Sort key and direction with defaults applied (absent order_by_field = ID ascending). */
export interface EffectiveOrderBy {
  field: ListOperationOptions_OrderByField_Field;
  isAsc: boolean;
}

/** ListOperationOptions with the declared defaults applied; token and filter stay optional. */
export interface EffectiveListOptions {
  maxResultSize: number;
  orderBy: EffectiveOrderBy;
  nextPageToken: string | undefined;
  filterQuery: string | undefined;
}

export function orderByWithDefaults(orderByField: ListOperationOptions_OrderByField | undefined): EffectiveOrderBy {
  return {
    field: orderByField?.field ?? DECLARED_DEFAULTS['ml_metadata.ListOperationOptions.OrderByField.field'],
    isAsc: orderByField?.isAsc ?? DECLARED_DEFAULTS['ml_metadata.ListOperationOptions.OrderByField.is_asc'],
  };
}

/**
 * Absent options (or absent fields) mean: 20 results, by ID, ascending. An explicit
 * max_result_size of 0 or FIELD_UNSPECIFIED is kept so the caller can reject it.
 */
export function listOptionsWithDefaults(options: ListOperationOptions | undefined): EffectiveListOptions {
  return {
    maxResultSize: options?.maxResultSize ?? DECLARED_DEFAULTS['ml_metadata.ListOperationOptions.max_result_size'],
    orderBy: orderByWithDefaults(options?.orderByField),
    nextPageToken: options?.nextPageToken,
    filterQuery: options?.filterQuery,
  };
}

type TypeWriteRequest = PutArtifactTypeRequest | PutExecutionTypeRequest | PutContextTypeRequest | PutTypesRequest;

/** all_fields_match of any type-write request; absent means true (the only supported value). */
export function allFieldsMatch(request: Pick<TypeWriteRequest, 'allFieldsMatch'>): boolean {
  // The four requests declare the same default; one of them stands for all.
  return request.allFieldsMatch ?? DECLARED_DEFAULTS['ml_metadata.PutTypesRequest.all_fields_match'];
}

/** Whether GetArtifactsByID should also return the artifacts' types; absent means false. */
export function populateArtifactTypes(request: Pick<GetArtifactsByIDRequest, 'populateArtifactTypes'>): boolean {
  return request.populateArtifactTypes ?? DECLARED_DEFAULTS['ml_metadata.GetArtifactsByIDRequest.populate_artifact_types'];
}

/** Node budget of the deprecated GetLineageGraph; absent means 20 (<= 0 means unbounded). */
export function maxNodeSize(options: LineageGraphQueryOptions | undefined): bigint {
  return options?.maxNodeSize ?? DECLARED_DEFAULTS['ml_metadata.LineageGraphQueryOptions.max_node_size'];
}

/** Whether GetLineageSubgraph returns the ending nodes themselves; absent means false. */
export function includeEndingNodes(endingNodes: LineageSubgraphQueryOptions_EndingNodes | undefined): boolean {
  return (
    endingNodes?.includeEndingNodes ??
    DECLARED_DEFAULTS['ml_metadata.LineageSubgraphQueryOptions.EndingNodes.include_ending_nodes']
  );
}

/** Schema version to downgrade to at start-up; absent means -1, i.e. no downgrade. */
export function downgradeToSchemaVersion(options: MigrationOptions | undefined): bigint {
  return options?.downgradeToSchemaVersion ?? DECLARED_DEFAULTS['ml_metadata.MigrationOptions.downgrade_to_schema_version'];
}
