import { PropertyType } from '../../generated/ml_metadata/proto/metadata_store';
import { alreadyExists, invalidArgument } from '../../errors';
import { structTypeToJson } from './struct_type_json';
import type { TypeKindSpec } from './type_kind_spec';
import { applyBaseType } from './type_base_type';
import { claimExternalId } from './type_external_id_claim';
import type { TypeUpsertEntry, TypeUpsertOptions } from './type_upsert_entry';
import type { TypeWorkingSet } from './type_working_set';
import type { WorkingType } from './working_type';

function describeType(spec: TypeKindSpec, name: string, version: string | undefined): string {
  return version === undefined ? `${spec.label} "${name}"` : `${spec.label} "${name}" (version "${version}")`;
}

function propertyTypeName(value: number): string {
  return PropertyType[value] ?? String(value);
}

/**
 * Applies one entry to the working set: creates its type when (kind, name, version) is new,
 * or checks the stored one for compatible evolution and merges into it; then links its base
 * type. Returns the entry's type as the request leaves it. No writes.
 */
export function applyEntry(set: TypeWorkingSet, entry: TypeUpsertEntry, options: TypeUpsertOptions): WorkingType {
  const { spec, type, field } = entry;
  if (!type.name) throw invalidArgument(`No type name is specified. (${field}.name is ${type.name === undefined ? 'unset' : 'empty'})`);
  const version = type.version || undefined;
  const requested = new Map<string, PropertyType>(Object.entries(type.properties ?? {}).map(([k, v]) => [k, Number(v) as PropertyType]));
  for (const [name, dataType] of requested) {
    if (dataType !== PropertyType.UNKNOWN && PropertyType[dataType] === undefined) {
      throw invalidArgument(`${field}.properties["${name}"] has an unknown PropertyType value ${dataType}.`);
    }
  }
  const key = set.identityKey(spec.kind, type.name, version);
  const known = set.byIdentity.get(key);
  const working =
    known === undefined
      ? createType(set, entry, key, version, requested)
      : evolveType(set, known, entry, version, requested, options);
  applyBaseType(working, type.baseType, spec, set.stored);
  return working;
}

/** A type new to the request and the database, as the entry (whose name is checked) describes it. */
function createType(
  set: TypeWorkingSet,
  entry: TypeUpsertEntry,
  key: string,
  version: string | undefined,
  requested: Map<string, PropertyType>,
): WorkingType {
  const { spec, type, field } = entry;
  for (const [name, dataType] of requested) {
    if (dataType === PropertyType.UNKNOWN) throw invalidArgument(`Property ${name} is UNKNOWN. (${field}.properties["${name}"])`);
  }
  const working: WorkingType = {
    spec,
    name: type.name!,
    version,
    description: type.description,
    properties: requested,
    addedProperties: new Map(),
    parentIds: [],
    newParentIds: [],
    externalIdChanged: false,
  };
  if (spec.hasStructTypes) {
    if (type.inputType !== undefined) working.inputTypeJson = structTypeToJson(type.inputType);
    if (type.outputType !== undefined) working.outputTypeJson = structTypeToJson(type.outputType);
  }
  if (type.externalId !== undefined) {
    claimExternalId(set.externalIdHolders, type.externalId, working, field);
    working.externalId = type.externalId;
  }
  set.byIdentity.set(key, working);
  return working;
}

/** Checks `working` (stored, or created by an earlier entry) for compatible evolution and merges the entry into it. */
function evolveType(
  set: TypeWorkingSet,
  working: WorkingType,
  entry: TypeUpsertEntry,
  version: string | undefined,
  requested: Map<string, PropertyType>,
  options: TypeUpsertOptions,
): WorkingType {
  const { spec, type, field } = entry;
  const label = describeType(spec, type.name!, version);
  const mismatch = (reason: string) => alreadyExists(`Type already exists with different properties: ${label} (${field}): ${reason}`);
  for (const [name, dataType] of requested) {
    const have = working.properties.get(name);
    if (have === undefined && !options.canAddFields) {
      throw mismatch(`property "${name}" is not stored and can_add_fields is false.`);
    }
    if (have !== undefined && have !== dataType) {
      throw mismatch(`property "${name}" is stored as ${propertyTypeName(have)} but requested as ${propertyTypeName(dataType)}.`);
    }
  }
  if (!options.canOmitFields) {
    for (const name of working.properties.keys()) {
      if (!requested.has(name)) throw mismatch(`stored property "${name}" is omitted and can_omit_fields is false.`);
    }
  }
  for (const [name, dataType] of requested) {
    if (working.properties.has(name)) continue;
    if (dataType === PropertyType.UNKNOWN) throw invalidArgument(`Property ${name} is UNKNOWN. (${field}.properties["${name}"])`);
    working.properties.set(name, dataType);
    if (working.id !== undefined) working.addedProperties.set(name, dataType);
  }
  // Only a non-empty external_id changes a stored type's; version, description and the
  // struct types of an existing type are never updated (upstream ignores them silently).
  if (type.externalId && type.externalId !== working.externalId) {
    claimExternalId(set.externalIdHolders, type.externalId, working, field);
    working.externalId = type.externalId;
    if (working.id !== undefined) working.externalIdChanged = true;
  }
  return working;
}
