import type { Tx } from '../database/database';
import { multiRowInsert } from '../database/multi_row_insert';
import { integerAsText } from '../database/sql_fragments';
import type { Value } from '../generated/ml_metadata/proto/metadata_store';
import { nodeTables, type NodeKind } from './node_kind';
import { decodeValue, encodeValue, type StoredValueColumns } from './property_value_codec';
import { chunked, rowsPerStatement } from './statement_limits';

/** One property of one node, decoded. */
export interface StoredProperty {
  nodeId: number;
  name: string;
  isCustom: boolean;
  value: Value;
}

/** A property to write: the node it belongs to, its key, and the proto Value. */
export interface PropertyWrite {
  nodeId: number;
  name: string;
  isCustom: boolean;
  value: Value;
}

/** Identifies one property row for deletion. */
export interface PropertyKey {
  nodeId: number;
  name: string;
  isCustom: boolean;
}

interface PropertyRow extends StoredValueColumns {
  node_id: number | string;
  name: string;
  is_custom_property: boolean | number | string;
}

const isCustomFlag = (raw: boolean | number | string): boolean =>
  typeof raw === 'string' ? raw === '1' || raw.toLowerCase().startsWith('t') : Boolean(raw);

/**
 * Every property row of the given nodes, one statement per chunk of ids. int_value is selected
 * as text so values beyond 2^53 survive the drivers.
 */
export async function loadProperties(tx: Tx, kind: NodeKind, nodeIds: readonly number[]): Promise<StoredProperty[]> {
  const t = nodeTables(kind);
  const result: StoredProperty[] = [];
  for (const ids of chunked(nodeIds)) {
    const rows = (await tx
      .knex(tx.table(t.property))
      .select(
        { node_id: t.propertyNodeColumn },
        'name',
        'is_custom_property',
        integerAsText(tx.knex, tx.dialect, 'int_value', 'int_value'),
        'double_value',
        'string_value',
        'proto_value',
        'bool_value',
      )
      .whereIn(t.propertyNodeColumn, ids)) as PropertyRow[];
    for (const row of rows) {
      const nodeId = Number(row.node_id);
      const isCustom = isCustomFlag(row.is_custom_property);
      const where = `${isCustom ? 'custom_properties' : 'properties'}["${row.name}"] of ${kind} ${nodeId}`;
      result.push({ nodeId, name: row.name, isCustom, value: decodeValue(tx.dialect, row, where) });
    }
  }
  return result;
}

/**
 * Inserts property rows with multi-row INSERTs: one statement for a request's properties
 * whatever their value types, each row naming every value column the request uses (NULL but
 * its own), so a PutExecution with string, int and double properties costs one round trip per
 * node kind, not three. A request of thousands still splits into as few statements as the
 * bindings per row allow.
 */
export async function insertProperties(tx: Tx, kind: NodeKind, writes: readonly PropertyWrite[]): Promise<void> {
  if (writes.length === 0) return;
  const t = nodeTables(kind);
  const custom = (flag: boolean) => (tx.dialect === 'postgres' ? flag : flag ? 1 : 0);
  const encoded = writes.map((w) => {
    const [column, value] = Object.entries(encodeValue(tx.dialect, w.value)).find(([, v]) => v !== null)!;
    return { w, column, value };
  });
  const columns = [...new Set(encoded.map((e) => e.column))];
  const rows = encoded.map(({ w, column, value }) => {
    const row: Record<string, unknown> = { [t.propertyNodeColumn]: w.nodeId, name: w.name, is_custom_property: custom(w.isCustom) };
    for (const c of columns) row[c] = c === column ? value : null;
    return row;
  });
  for (const batch of chunked(rows, rowsPerStatement(3 + columns.length))) {
    await multiRowInsert(tx.knex, tx.dialect, tx.table(t.property), batch);
  }
}

/**
 * Deletes the given property rows, one statement per chunk. Unlike upstream the key includes
 * is_custom_property, so a custom property never takes a same-named typed one with it.
 */
export async function deleteProperties(tx: Tx, kind: NodeKind, keys: readonly PropertyKey[]): Promise<void> {
  if (keys.length === 0) return;
  const t = nodeTables(kind);
  const custom = (flag: boolean) => (tx.dialect === 'postgres' ? flag : flag ? 1 : 0);
  if (tx.dialect === 'mysql') {
    // MariaDB compares a multi-row `(node, name, flag) IN ((..), (..))` without converting our
    // latin1-session text to the column's character set, so non-ASCII names never match there.
    // Plain equalities convert as usual. Grouping the keys by (name, flag) gives one short OR
    // of `name = ? AND flag = ? AND node IN (..)`, each a set of primary-key lookups, and keeps
    // the statement count independent of how many nodes a call updates.
    for (const batch of chunked(keys, rowsPerStatement(3))) {
      const nodesByNameAndFlag = new Map<string, { name: string; isCustom: boolean; nodeIds: number[] }>();
      for (const k of batch) {
        const group = `${k.isCustom ? 1 : 0}:${k.name}`;
        const entry = nodesByNameAndFlag.get(group) ?? { name: k.name, isCustom: k.isCustom, nodeIds: [] };
        entry.nodeIds.push(k.nodeId);
        nodesByNameAndFlag.set(group, entry);
      }
      await tx
        .knex(tx.table(t.property))
        .where((where) => {
          for (const g of nodesByNameAndFlag.values()) {
            where.orWhere((one) => one.where({ name: g.name, is_custom_property: custom(g.isCustom) }).whereIn(t.propertyNodeColumn, g.nodeIds));
          }
        })
        .delete();
    }
    return;
  }
  for (const batch of chunked(keys, rowsPerStatement(3))) {
    await tx
      .knex(tx.table(t.property))
      .whereIn(
        [t.propertyNodeColumn, 'name', 'is_custom_property'],
        batch.map((k) => [k.nodeId, k.name, custom(k.isCustom)]),
      )
      .delete();
  }
}

