import type { Knex } from 'knex';
import type { Tx } from '../database/database';
import { filterRestriction } from '../filter';
import { memberIdsOfContextQuery, type MembershipEdge } from './edge_repository';
import { nodeTables, type NodeKind } from './node_kind';
import { whereVisible, type NodeVisibility } from './node_namespace_repository';
import { readNodesOfPage } from './node_read_statement';
import type { NodeMessages } from './node_row';

/** The column a page is ordered by (ties broken by id). */
export type PageOrderColumn = 'id' | 'create_time_since_epoch' | 'last_update_time_since_epoch';

/**
 * Where the previous page ended, as the store reads it from a page token: past an id; past
 * (time, id); or, for last-update order, past a time and the ids already listed at it.
 */
export type KeysetPosition =
  | { kind: 'id'; afterId: string }
  | { kind: 'time_and_id'; time: string; lastId: string }
  | { kind: 'time_and_listed'; time: string; boundary: number; listed: number[] };

export interface NodePageQuery {
  order: PageOrderColumn;
  ascending: boolean;
  /** Rows to read (the page plus one, to tell whether another page exists). */
  limit: number;
  after?: KeysetPosition;
}

/** Which nodes a page may contain; all given conditions apply. */
export interface NodeCandidates {
  typeId?: number;
  /** Members of one context (Attribution for artifacts, Association for executions). */
  memberOf?: { edge: MembershipEdge; contextId: number };
  /** A filter_query; compiled (and so validated) before the statement runs. */
  filterQuery?: string;
  /** Only nodes this visibility passes (tenancy), filtered in the statement so pages stay full. */
  visibility?: NodeVisibility;
}

export interface PageRow {
  id: number;
  create_time_since_epoch: number;
  last_update_time_since_epoch: number;
}

/** A page's statement, built and its filter validated, not yet run (prepareNodePage). */
export interface PreparedNodePage<K extends NodeKind> {
  /** The page's rows (id and the two time columns), in the page's order: one statement. */
  rows(): Promise<PageRow[]>;
  /** The page's nodes, hydrated, in the page's order: the same page as one statement with the nodes. */
  nodes(): Promise<NodeMessages[K][]>;
}

/**
 * One page of `kind` nodes in the requested order, among `candidates`. Keyset rather than
 * OFFSET: page 1,000 costs what page 1 costs. Preparing compiles the filter, so a bad one is
 * INVALID_ARGUMENT here, before any statement runs (never a database error).
 */
export function prepareNodePage<K extends NodeKind>(tx: Tx, kind: K, page: NodePageQuery, candidates: NodeCandidates = {}): PreparedNodePage<K> {
  const filter = filterRestriction(tx, kind, candidates.filterQuery);
  const query = tx.knex
    .from({ n: tx.table(nodeTables(kind).node) })
    .select('n.id', 'n.create_time_since_epoch', 'n.last_update_time_since_epoch');
  if (candidates.typeId !== undefined) query.where('n.type_id', candidates.typeId);
  if (candidates.memberOf) query.whereIn('n.id', memberIdsOfContextQuery(tx, candidates.memberOf.edge, candidates.memberOf.contextId));
  filter?.(query);
  whereVisible(tx, query, kind, 'n.id', candidates.visibility);
  applyKeyset(query, page);
  return {
    rows: async () =>
      ((await query) as PageRow[]).map((r) => ({
        id: Number(r.id),
        create_time_since_epoch: Number(r.create_time_since_epoch),
        last_update_time_since_epoch: Number(r.last_update_time_since_epoch),
      })),
    nodes: () => {
      const { sql, bindings } = query.toSQL();
      return readNodesOfPage(tx, kind, { sql, bindings: bindings as readonly (string | number)[] }, page);
    },
  };
}

function applyKeyset(query: Knex.QueryBuilder, page: NodePageQuery): void {
  const direction = page.ascending ? 'asc' : 'desc';
  const cmp = page.ascending ? '>' : '<';
  const id = 'n.id';
  const orderColumn = `n.${page.order}`;
  const after = page.after;
  if (after?.kind === 'id') {
    query.where(id, cmp, after.afterId);
  } else if (after?.kind === 'time_and_id') {
    // Proper keyset on (time, id); upstream's "time >= T AND id > I" agrees whenever ids and
    // times grow together, which server-assigned values always do.
    query.where((w) => w.where(orderColumn, cmp, after.time).orWhere((x) => x.where(orderColumn, after.time).andWhere(id, cmp, after.lastId)));
  } else if (after?.kind === 'time_and_listed') {
    // Within a tie the order is by id, so everything at that time past the last listed id comes next.
    query.where((w) =>
      w
        .where(orderColumn, cmp, after.time)
        .orWhere((x) => x.where(orderColumn, after.time).andWhere(id, cmp, after.boundary).whereNotIn(id, after.listed)),
    );
  }
  query.orderBy(orderColumn, direction);
  if (page.order !== 'id') query.orderBy(id, direction);
  query.limit(page.limit);
}
