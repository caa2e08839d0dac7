import type { Tx } from '../database/database';
import { nodeTables, type NodeKind } from './node_kind';

/** SQLite caps a compound SELECT at 500 terms. */
const PROBES_PER_STATEMENT = 400;

/**
 * For each probe, the id of the stored `kind` node the database itself considers equal to it
 * (`WHERE <columns> = <probe>`), so the answer follows the column's collation exactly — case,
 * trailing spaces and accents as MySQL's `_ci` collations compare them. Keyed by probe index;
 * probes that match nothing are absent. One UNION ALL statement per 400 probes.
 */
async function matchProbes(tx: Tx, kind: NodeKind, columns: readonly string[], probes: readonly unknown[][]): Promise<Map<number, number>> {
  const matches = new Map<number, number>();
  const table = tx.table(nodeTables(kind).node);
  for (let start = 0; start < probes.length; start += PROBES_PER_STATEMENT) {
    const chunk = probes.slice(start, start + PROBES_PER_STATEMENT);
    const selects = chunk.map((values, k) => {
      // The probe number is ours and inlined: PostgreSQL cannot type a bare parameter in a select list.
      const query = tx.knex.from(table).select(tx.knex.raw(`${start + k} AS ??`, ['probe']), 'id');
      columns.forEach((column, c) => query.where(column, values[c] as string | number));
      return query;
    });
    const [first, ...rest] = selects;
    const rows = (await (rest.length > 0 ? first.unionAll(rest) : first)) as { probe: number | string; id: number | string }[];
    for (const row of rows) matches.set(Number(row.probe), Number(row.id));
  }
  return matches;
}

export function matchNodesByTypeAndName(tx: Tx, kind: NodeKind, probes: readonly { typeId: number; name: string }[]): Promise<Map<number, number>> {
  return matchProbes(
    tx,
    kind,
    ['type_id', 'name'],
    probes.map((p) => [p.typeId, p.name]),
  );
}

export function matchNodesByExternalId(tx: Tx, kind: NodeKind, externalIds: readonly string[]): Promise<Map<number, number>> {
  return matchProbes(
    tx,
    kind,
    ['external_id'],
    externalIds.map((e) => [e]),
  );
}
