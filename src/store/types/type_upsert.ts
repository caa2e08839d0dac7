import type { Tx } from '../../database/database';
import type { TypeKind } from '../../repositories/type_repository';
import { PropertyType } from '../../generated/ml_metadata/proto/metadata_store';
import {
  findTypeIdsByExternalIds,
  findTypesByNames,
  insertParentTypes,
  insertTypeProperties,
  insertTypes,
  updateTypeExternalIds,
  type TypePropertyRow,
} from '../../repositories/type_repository';
import { lockTypeIdentities } from '../../repositories/type_write_lock';
import { alreadyExists, internal, invalidArgument, unimplemented } from '../../errors';
import { structTypeToJson } from './struct_type_json';
import { ARTIFACT_TYPES, CONTEXT_TYPES, EXECUTION_TYPES, type TypeKindSpec } from './type_kind_spec';
import type { TypeMessage } from './type_message';
import { textComparisonKey } from '../../repositories/text_comparison';

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

/** A type as this request will leave it: loaded from the database or created by an entry. */
interface WorkingType {
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

/** Who holds an external id: a stored type (by id) or a type of this request. */
interface ExternalIdHolder {
  kind: TypeKind;
  id?: number;
  owner?: WorkingType;
}

const SPEC_BY_KIND: Record<TypeKind, TypeKindSpec> = { 0: EXECUTION_TYPES, 1: ARTIFACT_TYPES, 2: CONTEXT_TYPES };

function describeType(spec: TypeKindSpec, name: string, version: string | undefined): string {
  return version === undefined ? `${spec.label} "${name}"` : `${spec.label} "${name}" (version "${version}")`;
}

function propertyTypeName(value: number): string {
  return PropertyType[value] ?? String(value);
}

/**
 * Upserts types in request order (contract §4): a type is found by (kind, name, version) and
 * created when absent, or checked for compatible evolution and merged. Later entries see what
 * earlier ones did. All reads happen up front and all writes at the end, so the statement
 * count does not depend on how many types the request carries. Returns ids index-aligned with
 * `entries`. Any error leaves the transaction to roll back with nothing applied.
 */
export async function upsertTypes(tx: Tx, entries: readonly TypeUpsertEntry[], options: TypeUpsertOptions): Promise<number[]> {
  if (!options.allFieldsMatch) throw unimplemented('Must match all fields.');
  if (entries.length === 0) return [];

  const named = entries.filter((e) => e.type.name);
  await lockTypeIdentities(
    tx,
    named.map((e) => ({ kind: e.spec.kind, name: e.type.name!, version: e.type.version || undefined })),
  );

  const names = new Set(named.map((e) => e.type.name!));
  for (const e of entries) {
    const baseName = e.type.baseType === undefined ? undefined : e.spec.baseTypeNames.get(e.type.baseType);
    if (baseName !== undefined) names.add(baseName);
  }
  const stored = names.size > 0 ? await findTypesByNames(tx, [...names], undefined, { withParents: true }) : [];
  const externalIds = entries.flatMap((e) => (e.type.externalId === undefined ? [] : [e.type.externalId]));
  const holders = externalIds.length > 0 ? await findTypeIdsByExternalIds(tx, externalIds) : [];

  const comparable = (text: string) => textComparisonKey(tx.dialect, text);
  const identityKey = (kind: TypeKind, name: string, version: string | undefined) =>
    `${kind}\u0000${comparable(name)}\u0000${comparable(version ?? '')}`;
  const byIdentity = new Map<string, WorkingType>();
  for (const record of stored) {
    const key = identityKey(record.kind, record.name, record.version);
    // Upstream may have left duplicates; like its readers, the lowest id wins.
    if (byIdentity.has(key)) continue;
    byIdentity.set(key, {
      id: record.id,
      spec: SPEC_BY_KIND[record.kind],
      name: record.name,
      version: record.version,
      description: record.description,
      externalId: record.externalId,
      properties: new Map(record.properties),
      addedProperties: new Map(),
      parentIds: (record.parentTypes ?? []).map((p) => p.id),
      newParentIds: [],
      externalIdChanged: false,
    });
  }
  const externalIdHolders = new Map<string, ExternalIdHolder>();
  for (const h of holders) externalIdHolders.set(h.externalId, { kind: h.kind, id: h.id });

  const claimExternalId = (externalId: string, claimant: WorkingType, where: string) => {
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
  };

  const simpleTypeId = (spec: TypeKindSpec, name: string): number => {
    const found = stored.find((r) => r.kind === spec.kind && r.name === name && r.version === undefined);
    if (!found) throw internal(`The built-in ${spec.label} "${name}" is missing from the database.`);
    return found.id;
  };

  const results: WorkingType[] = [];
  for (const entry of entries) {
    const { spec, type, field } = entry;
    if (!type.name) throw invalidArgument(`No type name is specified. (${field}.name is ${type.name === undefined ? 'unset' : 'empty'})`);
    const version = type.version || undefined;
    const requested = new Map<string, PropertyType>(Object.entries(type.properties ?? {}).map(([k, v]) => [k, Number(v) as PropertyType]));
    for (const [name, dataType] of requested) {
      if (dataType !== PropertyType.UNKNOWN && PropertyType[dataType] === undefined) {
        throw invalidArgument(`${field}.properties["${name}"] has an unknown PropertyType value ${dataType}.`);
      }
    }
    const key = identityKey(spec.kind, type.name, version);
    let working = byIdentity.get(key);

    if (working === undefined) {
      for (const [name, dataType] of requested) {
        if (dataType === PropertyType.UNKNOWN) throw invalidArgument(`Property ${name} is UNKNOWN. (${field}.properties["${name}"])`);
      }
      working = {
        spec,
        name: type.name,
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
        claimExternalId(type.externalId, working, field);
        working.externalId = type.externalId;
      }
      byIdentity.set(key, working);
    } else {
      const label = describeType(spec, type.name, version);
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
        claimExternalId(type.externalId, working, field);
        working.externalId = type.externalId;
        if (working.id !== undefined) working.externalIdChanged = true;
      }
    }

    applyBaseType(working, type.baseType, spec, simpleTypeId);
    results.push(working);
  }

  await writeChanges(tx, [...new Set(results)]);
  return results.map((w) => w.id!);
}

/** base_type handling (contract §4.6): link once; never change or remove a link. */
function applyBaseType(
  working: WorkingType,
  baseType: number | undefined,
  spec: TypeKindSpec,
  simpleTypeId: (spec: TypeKindSpec, name: string) => number,
): void {
  if (baseType === undefined) return;
  if (baseType === 0) throw unimplemented('base_type deletion is not supported yet');
  const parentName = spec.baseTypeNames.get(baseType);
  // A number the enum does not declare: upstream's proto2 parser keeps it as an unknown field,
  // so the field reads as absent there; treat it the same way.
  if (parentName === undefined) return;
  const parentId = simpleTypeId(spec, parentName);
  if (working.parentIds.length === 0) {
    working.parentIds.push(parentId);
    working.newParentIds.push(parentId);
  } else if (!working.parentIds.includes(parentId)) {
    throw unimplemented('base_type update is not supported yet');
  }
}

/** Every write of the request: a constant number of (multi-row) statements. */
async function writeChanges(tx: Tx, touched: readonly WorkingType[]): Promise<void> {
  const created = touched.filter((w) => w.id === undefined);
  const isCreated = new Set(created);
  const ids = await insertTypes(
    tx,
    created.map((w) => ({
      name: w.name,
      kind: w.spec.kind,
      version: w.version,
      description: w.description,
      externalId: w.externalId,
      inputTypeJson: w.inputTypeJson,
      outputTypeJson: w.outputTypeJson,
    })),
  );
  created.forEach((w, i) => (w.id = ids[i]));

  const propertyRows: TypePropertyRow[] = [];
  for (const w of touched) {
    const added = isCreated.has(w) ? w.properties : w.addedProperties;
    for (const [name, dataType] of added) propertyRows.push({ typeId: w.id!, name, dataType });
  }
  await insertTypeProperties(tx, propertyRows);
  await insertParentTypes(
    tx,
    touched.flatMap((w) => w.newParentIds.map((parentTypeId) => ({ typeId: w.id!, parentTypeId }))),
  );
  await updateTypeExternalIds(
    tx,
    touched.filter((w) => w.externalIdChanged).map((w) => ({ id: w.id!, externalId: w.externalId! })),
  );
}
