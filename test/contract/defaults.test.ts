// src/proto/defaults.ts must know every proto2 declared default of the official descriptors,
// with upstream's value, and its accessors must apply it when (and only when) a field is absent.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DECLARED_DEFAULTS,
  DeclaredDefaultField,
  allFieldsMatch,
  downgradeToSchemaVersion,
  includeEndingNodes,
  listOptionsWithDefaults,
  maxNodeSize,
  orderByWithDefaults,
  populateArtifactTypes,
} from '../../src/proto/defaults';
import { ListOperationOptions_OrderByField_Field } from '../../src/generated/ml_metadata/proto/metadata_store';
import { describeWithReferencePython, runPythonJson } from './reference_python';

/** What each accessor yields for a message where the field is absent, per declared field. */
const APPLIED_WHEN_ABSENT: Record<DeclaredDefaultField, () => unknown> = {
  'ml_metadata.MigrationOptions.downgrade_to_schema_version': () => downgradeToSchemaVersion({}),
  'ml_metadata.ListOperationOptions.max_result_size': () => listOptionsWithDefaults({}).maxResultSize,
  'ml_metadata.ListOperationOptions.OrderByField.field': () => listOptionsWithDefaults({ orderByField: {} }).orderBy.field,
  'ml_metadata.ListOperationOptions.OrderByField.is_asc': () => listOptionsWithDefaults({ orderByField: {} }).orderBy.isAsc,
  'ml_metadata.LineageGraphQueryOptions.max_node_size': () => maxNodeSize({}),
  'ml_metadata.LineageSubgraphQueryOptions.EndingNodes.include_ending_nodes': () => includeEndingNodes({}),
  'ml_metadata.PutArtifactTypeRequest.all_fields_match': () => allFieldsMatch({}),
  'ml_metadata.PutExecutionTypeRequest.all_fields_match': () => allFieldsMatch({}),
  'ml_metadata.PutContextTypeRequest.all_fields_match': () => allFieldsMatch({}),
  'ml_metadata.PutTypesRequest.all_fields_match': () => allFieldsMatch({}),
  'ml_metadata.GetArtifactsByIDRequest.populate_artifact_types': () => populateArtifactTypes({}),
};

interface PythonDefault {
  field: string;
  /** FieldDescriptor.TYPE_* number */
  type: number;
  /** default_value as text: ints in decimal (int64 exceeds JSON numbers), bools as true/false */
  value: string;
}

const TYPE_INT64 = 3;
const TYPE_INT32 = 5;
const TYPE_BOOL = 8;
const TYPE_ENUM = 14;

/** Python's typed default converted to the JS type ts-proto uses for that field. */
function asTsProtoValue(d: PythonDefault): unknown {
  switch (d.type) {
    case TYPE_INT64:
      return BigInt(d.value);
    case TYPE_INT32:
    case TYPE_ENUM:
      return Number(d.value);
    case TYPE_BOOL:
      return d.value === 'true';
    default:
      throw new Error(`${d.field}: no conversion for field type ${d.type}; extend asTsProtoValue and defaults.ts`);
  }
}

describeWithReferencePython('declared defaults: src/proto/defaults.ts agrees with the official descriptors', () => {
  let pythonDefaults: PythonDefault[];

  beforeAll(() => {
    pythonDefaults = runPythonJson<PythonDefault[]>(`
import json
from ml_metadata.proto import metadata_store_pb2, metadata_store_service_pb2
out = []
def walk(message):
    for f in message.fields:
        if f.has_default_value:
            v = f.default_value
            out.append({"field": f.full_name, "type": f.type,
                        "value": ("true" if v else "false") if isinstance(v, bool) else str(v)})
    for nested in message.nested_types:
        walk(nested)
for module in (metadata_store_pb2, metadata_store_service_pb2):
    for message in module.DESCRIPTOR.message_types_by_name.values():
        walk(message)
print(json.dumps(out))
`);
  });

  it('finds the defaults upstream declares (sanity check of the enumeration)', () => {
    expect(pythonDefaults.length).toBeGreaterThanOrEqual(11);
  });

  it('lists exactly the fields that declare a default', () => {
    expect(Object.keys(DECLARED_DEFAULTS).sort()).toEqual(pythonDefaults.map((d) => d.field).sort());
  });

  it('uses the same value for each of them', () => {
    const mismatches = pythonDefaults
      .filter((d) => DECLARED_DEFAULTS[d.field as DeclaredDefaultField] !== asTsProtoValue(d))
      .map((d) => `${d.field}: upstream ${d.value}, ours ${String(DECLARED_DEFAULTS[d.field as DeclaredDefaultField])}`);
    expect(mismatches).toEqual([]);
  });

  it('applies each of them through an accessor when the field is absent', () => {
    for (const d of pythonDefaults) {
      const probe = APPLIED_WHEN_ABSENT[d.field as DeclaredDefaultField];
      expect(probe, `no accessor probe for ${d.field}`).toBeDefined();
      expect(probe(), d.field).toBe(asTsProtoValue(d));
    }
  });
});

describe('declared defaults: explicit values win', () => {
  it('keeps explicit zero / false / other values', () => {
    const explicit = listOptionsWithDefaults({
      maxResultSize: 0,
      orderByField: { field: ListOperationOptions_OrderByField_Field.FIELD_UNSPECIFIED, isAsc: false },
      nextPageToken: '',
      filterQuery: '',
    });
    expect(explicit).toEqual({
      maxResultSize: 0,
      orderBy: { field: ListOperationOptions_OrderByField_Field.FIELD_UNSPECIFIED, isAsc: false },
      nextPageToken: '',
      filterQuery: '',
    });
    expect(allFieldsMatch({ allFieldsMatch: false })).toBe(false);
    expect(populateArtifactTypes({ populateArtifactTypes: true })).toBe(true);
    expect(maxNodeSize({ maxNodeSize: 0n })).toBe(0n);
    expect(maxNodeSize({ maxNodeSize: -(2n ** 63n) })).toBe(-(2n ** 63n));
    expect(includeEndingNodes({ includeEndingNodes: true })).toBe(true);
    expect(downgradeToSchemaVersion({ downgradeToSchemaVersion: 0n })).toBe(0n);
  });

  it('treats absent option messages like empty ones', () => {
    expect(listOptionsWithDefaults(undefined)).toEqual({
      maxResultSize: 20,
      orderBy: { field: ListOperationOptions_OrderByField_Field.ID, isAsc: true },
      nextPageToken: undefined,
      filterQuery: undefined,
    });
    // An order_by_field carrying only `field` still sorts ascending (is_asc default).
    expect(orderByWithDefaults({ field: ListOperationOptions_OrderByField_Field.CREATE_TIME })).toEqual({
      field: ListOperationOptions_OrderByField_Field.CREATE_TIME,
      isAsc: true,
    });
    expect(orderByWithDefaults({ isAsc: false })).toEqual({ field: ListOperationOptions_OrderByField_Field.ID, isAsc: false });
    expect(maxNodeSize(undefined)).toBe(20n);
    expect(includeEndingNodes(undefined)).toBe(false);
    expect(downgradeToSchemaVersion(undefined)).toBe(-1n);
  });
});
