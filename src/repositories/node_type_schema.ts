import type { Tx } from '../database/database';
import { nodeTables, type NodeKind } from './node_kind';
import { chunked } from './chunked';

/** What node writes need to know about a type: its name and declared property types. */
export interface NodeTypeSchema {
  id: number;
  name: string;
  /** Declared property name -> PropertyType number (INT=1 ... BOOLEAN=6). */
  properties: Map<string, number>;
}

/**
 * The types of `kind` among `typeIds` with their declared properties; ids of another kind or
 * of no type are absent. Two statements per chunk of ids however many types or properties.
 */
export async function loadNodeTypeSchemas(tx: Tx, kind: NodeKind, typeIds: readonly number[]): Promise<Map<number, NodeTypeSchema>> {
  const schemas = new Map<number, NodeTypeSchema>();
  const unique = [...new Set(typeIds)];
  for (const ids of chunked(unique)) {
    const rows = (await tx
      .knex(tx.table('Type'))
      .select('id', 'name')
      .whereIn('id', ids)
      .andWhere('type_kind', nodeTables(kind).typeKind)) as { id: number | string; name: string }[];
    for (const r of rows) schemas.set(Number(r.id), { id: Number(r.id), name: r.name, properties: new Map() });
  }
  const found = [...schemas.keys()];
  for (const ids of chunked(found)) {
    const props = (await tx
      .knex(tx.table('TypeProperty'))
      .select('type_id', 'name', 'data_type')
      .whereIn('type_id', ids)) as { type_id: number | string; name: string; data_type: number | string | null }[];
    for (const p of props) schemas.get(Number(p.type_id))?.properties.set(p.name, Number(p.data_type ?? 0));
  }
  return schemas;
}

/**
 * The id of the `kind` type named `name` with `version`; an absent or empty version means the
 * unversioned type (stored with NULL version), never "any version".
 */
export async function findTypeId(tx: Tx, kind: NodeKind, name: string, version: string | undefined): Promise<number | undefined> {
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
