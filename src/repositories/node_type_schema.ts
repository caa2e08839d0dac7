import type { Tx } from '../database/database';
import { nodeTables, type NodeKind } from './node_kind';
import { chunked } from './statement_limits';
import { selectRows } from './select_rows';

/** What node writes need to know about a type: its name and declared property types. */
export interface NodeTypeSchema {
  id: number;
  name: string;
  /** Declared property name -> PropertyType number (INT=1 ... BOOLEAN=6). */
  properties: Map<string, number>;
}

/**
 * The types of `kind` among `typeIds` with their declared properties; ids of another kind or
 * of no type are absent.
 *
 * A type's schema only ever grows: MLMD never deletes a type or a property (can_delete_fields
 * is ignored) and never changes a property's data type. So a schema read once stays true for
 * everything it declares, and may be reused from memory (Tx.stable) — except that another
 * replica may have added properties since. `needs` names, per type id, the properties the
 * caller will look up: when every needed property is in the remembered schemas, no statement
 * is sent; otherwise all of them are read afresh (one statement per chunk of ids, Type
 * left-joined to TypeProperty) and remembered. A property the database does not declare either
 * is then reported absent from fresh data, never from memory.
 */
export async function loadNodeTypeSchemas(
  tx: Tx,
  kind: NodeKind,
  typeIds: readonly number[],
  needs: ReadonlyMap<number, Iterable<string>> = new Map(),
): Promise<Map<number, NodeTypeSchema>> {
  const wanted = [...new Set(typeIds)];
  const remembered = new Map<number, NodeTypeSchema>();
  for (const id of wanted) {
    const schema = tx.stable.get<NodeTypeSchema>(schemaKey(kind, id));
    if (schema === undefined) break;
    const needed = needs.get(id);
    if (needed !== undefined && ![...needed].every((name) => schema.properties.has(name))) break;
    remembered.set(id, schema);
  }
  if (remembered.size === wanted.length) return remembered;
  const schemas = await readNodeTypeSchemas(tx, kind, wanted);
  for (const schema of schemas.values()) tx.stable.set(schemaKey(kind, schema.id), schema);
  return schemas;
}

const schemaKey = (kind: NodeKind, typeId: number) => `type-schema\u0000${kind}\u0000${typeId}`;

async function readNodeTypeSchemas(tx: Tx, kind: NodeKind, typeIds: readonly number[]): Promise<Map<number, NodeTypeSchema>> {
  const schemas = new Map<number, NodeTypeSchema>();
  const q = tx.dialect === 'mysql' ? '`' : '"';
  const type = `${q}${tx.table('Type')}${q}`;
  const property = `${q}${tx.table('TypeProperty')}${q}`;
  for (const ids of chunked(typeIds)) {
    const sql =
      `SELECT t.${q}id${q}, t.${q}name${q}, p.${q}name${q} AS ${q}property_name${q}, p.${q}data_type${q} ` +
      `FROM ${type} t LEFT JOIN ${property} p ON p.${q}type_id${q} = t.${q}id${q} ` +
      `WHERE t.${q}id${q} IN (${'?,'.repeat(ids.length - 1)}?) AND t.${q}type_kind${q} = ?`;
    const rows = await selectRows<{ id: number | string; name: string; property_name: string | null; data_type: number | string | null }>(tx, sql, [
      ...ids,
      nodeTables(kind).typeKind,
    ]);
    for (const r of rows) {
      const id = Number(r.id);
      let schema = schemas.get(id);
      if (schema === undefined) {
        schema = { id, name: r.name, properties: new Map() };
        schemas.set(id, schema);
      }
      if (r.property_name !== null) schema.properties.set(r.property_name, Number(r.data_type ?? 0));
    }
  }
  return schemas;
}

/**
 * The id of the `kind` type named `name` with `version`; an absent or empty version means the
 * unversioned type (stored with NULL version), never "any version". A found id is remembered
 * for the database's lifetime (types are never deleted or renamed, and the lowest id of a name
 * stays the lowest); a missing type is asked again every time. Callers never create types in
 * the same transaction, so what is remembered was committed.
 */
export async function findTypeId(tx: Tx, kind: NodeKind, name: string, version: string | undefined): Promise<number | undefined> {
  const key = `type-id\u0000${kind}\u0000${name}\u0000${version || ''}`;
  const known = tx.stable.get(key);
  if (known !== undefined) return known;
  const id = await lookUpTypeId(tx, kind, name, version);
  if (id !== undefined) tx.stable.set(key, id);
  return id;
}

async function lookUpTypeId(tx: Tx, kind: NodeKind, name: string, version: string | undefined): Promise<number | undefined> {
  const query = tx
    .knex(tx.table('Type'))
    .select('id')
    .where('name', name)
    .andWhere('type_kind', nodeTables(kind).typeKind)
    .orderBy('id')
    .limit(1);
  if (version) query.andWhere('version', version);
  else query.whereNull('version');
  const rows = (await query) as { id: number | string }[];
  return rows.length > 0 ? Number(rows[0].id) : undefined;
}
