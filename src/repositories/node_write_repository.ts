import type { Knex } from 'knex';
import type { Tx } from '../database/database';
import { nodeTables, type NodeKind } from './node_kind';
import { chunked } from './chunked';
import { textComparisonKey } from './text_comparison';
import { rowsPerStatement } from './node_statement_limits';

/** The stored columns of one node row as writes set them. */
export interface NodeRowValues {
  type_id: number;
  name: string | null;
  external_id: string | null;
  /** Artifact only; upstream writes '' rather than NULL for an absent uri. */
  uri?: string;
  /** Artifact only. */
  state?: number | null;
  /** Execution only. */
  last_known_state?: number | null;
}

/** Columns an update may rewrite per kind (artifact and execution names are immutable). */
const UPDATABLE: Record<NodeKind, (keyof NodeRowValues)[]> = {
  artifact: ['uri', 'state', 'external_id'],
  execution: ['last_known_state', 'external_id'],
  context: ['name', 'external_id'],
};

/** PostgreSQL cannot infer a type for a parameter inside CASE; name it. */
const POSTGRES_CASTS: Record<string, string> = {
  uri: 'text',
  name: 'text',
  external_id: 'text',
  state: 'integer',
  last_known_state: 'integer',
  last_update_time_since_epoch: 'bigint',
};

function rowFor(kind: NodeKind, values: NodeRowValues, nowMs: number): Record<string, unknown> {
  const row: Record<string, unknown> = {
    type_id: values.type_id,
    name: values.name,
    external_id: values.external_id,
    create_time_since_epoch: nowMs,
    last_update_time_since_epoch: nowMs,
  };
  if (kind === 'artifact') {
    row.uri = values.uri ?? '';
    row.state = values.state ?? null;
  }
  if (kind === 'execution') row.last_known_state = values.last_known_state ?? null;
  return row;
}

/** Inserts new nodes with both timestamps = now; returns their ids in order (multi-row). */
export async function insertNodeRows(tx: Tx, kind: NodeKind, nodes: readonly NodeRowValues[]): Promise<number[]> {
  const ids: number[] = [];
  for (const batch of chunked(nodes, rowsPerStatement(7))) {
    ids.push(...(await tx.insertReturningIds(nodeTables(kind).node, batch.map((n) => rowFor(kind, n, tx.nowMs)))));
  }
  tx.recordRowsWritten(kind, ids.length);
  return ids;
}

export interface NodeRowUpdate {
  id: number;
  values: NodeRowValues;
  lastUpdateTimeMs: number;
}

/**
 * Rewrites the updatable columns of many nodes in one statement per chunk: each column is set
 * with `CASE id WHEN ... THEN ... END` so every row gets its own value.
 */
export async function updateNodeRows(tx: Tx, kind: NodeKind, updates: readonly NodeRowUpdate[]): Promise<void> {
  const columns = [...UPDATABLE[kind], 'last_update_time_since_epoch'] as const;
  // Two bindings per row and column, plus the id in the WHERE list.
  for (const batch of chunked(updates, rowsPerStatement(2 * columns.length + 1))) {
    const set: Record<string, Knex.Raw> = {};
    for (const column of columns) {
      const placeholder = tx.dialect === 'postgres' ? `CAST(? AS ${POSTGRES_CASTS[column]})` : '?';
      const bindings: unknown[] = [];
      const whens = batch.map((u) => {
        const value =
          column === 'last_update_time_since_epoch'
            ? u.lastUpdateTimeMs
            : column === 'uri'
              ? (u.values.uri ?? '')
              : (u.values[column as keyof NodeRowValues] ?? null);
        bindings.push(u.id, value);
        return `WHEN ? THEN ${placeholder}`;
      });
      set[column] = tx.knex.raw(`CASE ?? ${whens.join(' ')} END`, ['id', ...bindings] as Knex.RawBinding[]);
    }
    await tx
      .knex(tx.table(nodeTables(kind).node))
      .whereIn(
        'id',
        batch.map((u) => u.id),
      )
      .update(set);
  }
}

export interface NodeKeyRow {
  id: number;
  type_id: number;
  name: string | null;
  external_id: string | null;
}

const toKeyRow = (r: Record<string, unknown>): NodeKeyRow => ({
  id: Number(r.id),
  type_id: Number(r.type_id),
  name: (r.name as string | null) ?? null,
  external_id: (r.external_id as string | null) ?? null,
});

/** Stored nodes holding any of the given external ids (one statement per chunk). */
export async function nodesWithExternalIds(tx: Tx, kind: NodeKind, externalIds: readonly string[]): Promise<NodeKeyRow[]> {
  const rows: NodeKeyRow[] = [];
  for (const batch of chunked([...new Set(externalIds)])) {
    const found = await tx.knex(tx.table(nodeTables(kind).node)).select('id', 'type_id', 'name', 'external_id').whereIn('external_id', batch);
    rows.push(...(found as Record<string, unknown>[]).map(toKeyRow));
  }
  return rows;
}

/**
 * Stored nodes holding any of the given (type_id, name) pairs (one statement per chunk of
 * names). Matched as `type_id IN (...) AND name IN (...)` and narrowed here: a row-value
 * `(type_id, name) IN ((..), ..)` list of thousands of pairs exhausts PostgreSQL's parser stack.
 * Names are narrowed with textComparisonKey, so the narrowing agrees with the unique key the
 * database enforces.
 */
export async function nodesWithTypeAndNames(tx: Tx, kind: NodeKind, keys: readonly [number, string][]): Promise<NodeKeyRow[]> {
  const fold = (name: string) => textComparisonKey(tx.dialect, name);
  const wanted = new Set(keys.map(([typeId, name]) => `${typeId}\u0000${fold(name)}`));
  const typeIds = [...new Set(keys.map(([typeId]) => typeId))];
  const rows: NodeKeyRow[] = [];
  for (const names of chunked([...new Set(keys.map(([, name]) => name))], rowsPerStatement(1) - typeIds.length)) {
    const found = await tx
      .knex(tx.table(nodeTables(kind).node))
      .select('id', 'type_id', 'name', 'external_id')
      .whereIn('type_id', typeIds)
      .whereIn('name', names);
    for (const row of (found as Record<string, unknown>[]).map(toKeyRow)) {
      if (row.name !== null && wanted.has(`${row.type_id}\u0000${fold(row.name)}`)) rows.push(row);
    }
  }
  return rows;
}
