import type { Tx } from '../database/database';
import { multiRowInsert } from '../database/multi_row_insert';
import { SIMPLE_TYPES, TypeKind } from '../database/schema/simple_types';
import type { ArtifactType, PropertyType } from '../generated/ml_metadata/proto/metadata_store';
import { chunked } from './chunked';

/** Type kinds and the built-in simple types, as the `Type` table stores them. */
export { SIMPLE_TYPES, TypeKind };

/**
 * One row of `Type` with its declared properties, as stored. Optional fields are absent when
 * the column is NULL, which is how upstream distinguishes "never given" on read.
 */
export interface TypeRecord {
  id: number;
  name: string;
  kind: TypeKind;
  /** Absent for the unversioned type (stored NULL); never the empty string. */
  version?: string;
  description?: string;
  externalId?: string;
  /** The stored JSON text of ExecutionType.input_type / output_type (execution types only). */
  inputTypeJson?: string;
  outputTypeJson?: string;
  /** Declared property name -> PropertyType number (INT=1 ... BOOLEAN=6). */
  properties: Map<string, PropertyType>;
  /** ParentType targets (id and name), ascending id; only loaded when `withParents` is asked for. */
  parentTypes?: { id: number; name: string }[];
}

export interface TypeLoadOptions {
  /** Also read `ParentType` (one more statement per chunk); needed only to report base_type. */
  withParents?: boolean;
}

interface TypeRow {
  id: number | string;
  name: string;
  version: string | null;
  type_kind: number | string;
  description: string | null;
  input_type: string | null;
  output_type: string | null;
  external_id: string | null;
}

const TYPE_COLUMNS = ['id', 'name', 'version', 'type_kind', 'description', 'input_type', 'output_type', 'external_id'];

function recordFromRow(row: TypeRow): TypeRecord {
  const record: TypeRecord = { id: Number(row.id), name: row.name, kind: Number(row.type_kind) as TypeKind, properties: new Map() };
  // Upstream never stores an empty version, but a database written by another tool might.
  if (row.version !== null && row.version !== '') record.version = row.version;
  if (row.description !== null) record.description = row.description;
  if (row.external_id !== null) record.externalId = row.external_id;
  if (row.input_type !== null) record.inputTypeJson = row.input_type;
  if (row.output_type !== null) record.outputTypeJson = row.output_type;
  return record;
}

/**
 * Fills in properties (and parents when asked) for already-loaded records: one statement per
 * chunk of ids for each of TypeProperty and ParentType, however many types there are.
 */
async function attachDetails(tx: Tx, records: Map<number, TypeRecord>, options: TypeLoadOptions): Promise<void> {
  const ids = [...records.keys()];
  for (const chunk of chunked(ids)) {
    const props = (await tx
      .knex(tx.table('TypeProperty'))
      .select('type_id', 'name', 'data_type')
      .whereIn('type_id', chunk)
      .orderBy(['type_id', 'name'])) as { type_id: number | string; name: string; data_type: number | string | null }[];
    for (const p of props) records.get(Number(p.type_id))?.properties.set(p.name, Number(p.data_type ?? 0) as PropertyType);
  }
  if (!options.withParents) return;
  for (const record of records.values()) record.parentTypes = [];
  const parentType = tx.table('ParentType');
  const type = tx.table('Type');
  for (const chunk of chunked(ids)) {
    const parents = (await tx
      .knex(parentType)
      .join(type, `${type}.id`, `${parentType}.parent_type_id`)
      .select(`${parentType}.type_id as type_id`, `${parentType}.parent_type_id as parent_id`, `${type}.name as parent_name`)
      .whereIn(`${parentType}.type_id`, chunk)
      .orderBy([`${parentType}.type_id`, `${parentType}.parent_type_id`])) as {
      type_id: number | string;
      parent_id: number | string;
      parent_name: string;
    }[];
    for (const p of parents) records.get(Number(p.type_id))?.parentTypes?.push({ id: Number(p.parent_id), name: p.parent_name });
  }
}

async function recordsFromRows(tx: Tx, rows: TypeRow[], options: TypeLoadOptions): Promise<Map<number, TypeRecord>> {
  const records = new Map<number, TypeRecord>();
  for (const row of rows) records.set(Number(row.id), recordFromRow(row));
  if (records.size > 0) await attachDetails(tx, records, options);
  return records;
}

/**
 * The types among `ids` (of `kind` when given) keyed by id; unknown ids and ids of another
 * kind are absent. A constant number of statements per chunk of ids.
 */
export async function loadTypesByIds(
  tx: Tx,
  ids: readonly number[],
  kind?: TypeKind,
  options: TypeLoadOptions = {},
): Promise<Map<number, TypeRecord>> {
  const rows: TypeRow[] = [];
  for (const chunk of chunked([...new Set(ids)])) {
    const query = tx.knex(tx.table('Type')).select(TYPE_COLUMNS).whereIn('id', chunk);
    if (kind !== undefined) query.andWhere('type_kind', kind);
    rows.push(...((await query) as TypeRow[]));
  }
  return recordsFromRows(tx, rows, options);
}

/**
 * Every type (of `kind` when given) whose name is in `names`, all versions, ascending id.
 * Callers pick the version they want; duplicates left by concurrent upstream writers resolve
 * to the lowest id.
 */
export async function findTypesByNames(
  tx: Tx,
  names: readonly string[],
  kind?: TypeKind,
  options: TypeLoadOptions = {},
): Promise<TypeRecord[]> {
  const rows: TypeRow[] = [];
  for (const chunk of chunked([...new Set(names)])) {
    const query = tx.knex(tx.table('Type')).select(TYPE_COLUMNS).whereIn('name', chunk).orderBy('id');
    if (kind !== undefined) query.andWhere('type_kind', kind);
    rows.push(...((await query) as TypeRow[]));
  }
  return [...(await recordsFromRows(tx, rows, options)).values()].sort((a, b) => a.id - b.id);
}

/** The first (lowest id) type of `kind` named `name` with `version` (absent/empty = unversioned). */
export async function findType(
  tx: Tx,
  kind: TypeKind,
  name: string,
  version: string | undefined,
  options: TypeLoadOptions = {},
): Promise<TypeRecord | undefined> {
  const query = tx.knex(tx.table('Type')).select(TYPE_COLUMNS).where('name', name).andWhere('type_kind', kind).orderBy('id').limit(1);
  if (version) query.andWhere('version', version);
  else query.whereNull('version');
  const records = await recordsFromRows(tx, (await query) as TypeRow[], options);
  return records.values().next().value;
}

/** Every type of `kind`, ascending id. */
export async function listTypes(tx: Tx, kind: TypeKind, options: TypeLoadOptions = {}): Promise<TypeRecord[]> {
  const rows = (await tx.knex(tx.table('Type')).select(TYPE_COLUMNS).where('type_kind', kind).orderBy('id')) as TypeRow[];
  return [...(await recordsFromRows(tx, rows, options)).values()];
}

/** Types of `kind` (every kind when omitted) whose external_id is in the list, ascending id. */
export async function findTypesByExternalIds(
  tx: Tx,
  externalIds: readonly string[],
  kind?: TypeKind,
  options: TypeLoadOptions = {},
): Promise<TypeRecord[]> {
  const rows: TypeRow[] = [];
  for (const chunk of chunked([...new Set(externalIds)])) {
    const query = tx.knex(tx.table('Type')).select(TYPE_COLUMNS).whereIn('external_id', chunk).orderBy('id');
    if (kind !== undefined) query.andWhere('type_kind', kind);
    rows.push(...((await query) as TypeRow[]));
  }
  return [...(await recordsFromRows(tx, rows, options)).values()].sort((a, b) => a.id - b.id);
}

/** Which types (any kind) hold any of `externalIds`: one statement per chunk, no properties. */
export async function findTypeIdsByExternalIds(
  tx: Tx,
  externalIds: readonly string[],
): Promise<{ id: number; kind: TypeKind; externalId: string }[]> {
  const found: { id: number; kind: TypeKind; externalId: string }[] = [];
  for (const chunk of chunked([...new Set(externalIds)])) {
    const rows = (await tx
      .knex(tx.table('Type'))
      .select('id', 'type_kind', 'external_id')
      .whereIn('external_id', chunk)) as { id: number | string; type_kind: number | string; external_id: string }[];
    for (const r of rows) found.push({ id: Number(r.id), kind: Number(r.type_kind) as TypeKind, externalId: r.external_id });
  }
  return found;
}

/** A `Type` row to insert; absent optionals are stored as NULL. */
export interface NewTypeRow {
  name: string;
  kind: TypeKind;
  version?: string;
  description?: string;
  externalId?: string;
  inputTypeJson?: string;
  outputTypeJson?: string;
}

/** Inserts the rows with one multi-row statement per 2,000 and returns their ids in row order. */
export async function insertTypes(tx: Tx, rows: readonly NewTypeRow[]): Promise<number[]> {
  const ids: number[] = [];
  // 2,000 rows of 7 columns stay under SQLite's 32,766 bound parameters.
  for (const chunk of chunked(rows, 2_000)) ids.push(...(await insertTypeChunk(tx, chunk)));
  tx.recordRowsWritten('type', ids.length);
  return ids;
}

function insertTypeChunk(tx: Tx, rows: readonly NewTypeRow[]): Promise<number[]> {
  return tx.insertReturningIds(
    'Type',
    rows.map((r) => ({
      name: r.name,
      version: r.version ?? null,
      type_kind: r.kind,
      description: r.description ?? null,
      input_type: r.inputTypeJson ?? null,
      output_type: r.outputTypeJson ?? null,
      external_id: r.externalId ?? null,
    })),
  );
}

export interface TypePropertyRow {
  typeId: number;
  name: string;
  dataType: PropertyType;
}

/** Multi-row inserts, chunked so each statement stays under the parameter limits. */
export async function insertTypeProperties(tx: Tx, rows: readonly TypePropertyRow[]): Promise<void> {
  for (const chunk of chunked(rows, 3_000)) {
    const values = chunk.map((r) => ({ type_id: r.typeId, name: r.name, data_type: r.dataType }));
    await multiRowInsert(tx.knex, tx.dialect, tx.table('TypeProperty'), values);
  }
}

export async function insertParentTypes(tx: Tx, rows: readonly { typeId: number; parentTypeId: number }[]): Promise<void> {
  for (const chunk of chunked(rows, 5_000)) {
    const values = chunk.map((r) => ({ type_id: r.typeId, parent_type_id: r.parentTypeId }));
    await multiRowInsert(tx.knex, tx.dialect, tx.table('ParentType'), values);
  }
}

/** Sets external ids of existing types with one `UPDATE ... CASE` per chunk. */
export async function updateTypeExternalIds(tx: Tx, updates: readonly { id: number; externalId: string }[]): Promise<void> {
  for (const chunk of chunked(updates, 3_000)) {
    const cases = chunk.map(() => 'WHEN ? THEN ?').join(' ');
    const bindings = chunk.flatMap((u) => [u.id, u.externalId]);
    await tx
      .knex(tx.table('Type'))
      .whereIn(
        'id',
        chunk.map((u) => u.id),
      )
      .update({ external_id: tx.knex.raw(`CASE ?? ${cases} END`, ['id', ...bindings]) });
  }
}

/**
 * The artifact types among `typeIds`, in that order (unknown ids skipped), as
 * GetArtifactsByID's populate_artifact_types returns them: id, name, properties, and
 * version/description/external_id when stored; never base_type (contract §2.6). Two
 * statements per chunk of ids.
 */
export async function artifactTypesOf(tx: Tx, typeIds: readonly number[]): Promise<ArtifactType[]> {
  if (typeIds.length === 0) return [];
  const types = new Map<number, ArtifactType>();
  for (const batch of chunked(typeIds)) {
    const rows = (await tx
      .knex(tx.table('Type'))
      .select('id', 'name', 'version', 'description', 'external_id')
      .whereIn('id', batch)
      .andWhere('type_kind', TypeKind.ARTIFACT)) as Omit<TypeRow, 'type_kind' | 'input_type' | 'output_type'>[];
    for (const r of rows) {
      const type: ArtifactType = { id: BigInt(r.id), name: r.name, properties: {} };
      if (r.version !== null) type.version = r.version;
      if (r.description !== null) type.description = r.description;
      if (r.external_id !== null) type.externalId = r.external_id;
      types.set(Number(r.id), type);
    }
  }
  for (const batch of chunked([...types.keys()])) {
    const props = (await tx.knex(tx.table('TypeProperty')).select('type_id', 'name', 'data_type').whereIn('type_id', batch)) as {
      type_id: number | string;
      name: string;
      data_type: number | string | null;
    }[];
    for (const p of props) {
      const type = types.get(Number(p.type_id));
      if (type && p.data_type !== null) type.properties![p.name] = Number(p.data_type);
    }
  }
  return typeIds.filter((id) => types.has(id)).map((id) => types.get(id)!);
}
