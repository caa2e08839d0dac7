import type { Knex } from 'knex';
import type { Dialect } from '../database/config';
import type { Tx } from '../database/database';
import type { TableName } from '../database/tables';
import type { Join, LiteralValue, NodeKind, ResolvedFilter, Typed } from './ast';

/**
 * Translation of a resolved filter into ONE parameterised statement, shaped like upstream's:
 *
 *   SELECT DISTINCT f.id FROM <Node> f
 *     JOIN <one relation per mentioned alias / property / the node's Type> ...
 *   WHERE <condition>
 *
 * Inner joins give upstream's existential semantics: a node is listed iff some combination of
 * joined rows satisfies the condition, so a node without a mentioned neighbour or property never
 * matches, even under OR or IS NULL.
 *
 * User text reaches SQL only as bound values. Table aliases are generated (`f`, `j0`, `j0l`,
 * `j0t`, ...) and column names come from the fixed vocabulary, quoted by Knex (`??`).
 */

interface NodeTableSpec {
  table: Extract<TableName, 'Artifact' | 'Execution' | 'Context'>;
  property: Extract<TableName, 'ArtifactProperty' | 'ExecutionProperty' | 'ContextProperty'>;
  propertyNodeColumn: string;
  typeKind: number;
}

const NODE_TABLES: Record<NodeKind, NodeTableSpec> = {
  artifact: { table: 'Artifact', property: 'ArtifactProperty', propertyNodeColumn: 'artifact_id', typeKind: 1 },
  execution: { table: 'Execution', property: 'ExecutionProperty', propertyNodeColumn: 'execution_id', typeKind: 0 },
  context: { table: 'Context', property: 'ContextProperty', propertyNodeColumn: 'context_id', typeKind: 2 },
};

/**
 * How a node-like neighbour is reached from the filtered node `f`: through `link` (a table
 * with a column pointing at `f` and one pointing at the neighbour), except events, which are
 * themselves the joined rows.
 */
interface NeighbourRoute {
  link: TableName;
  linkToNode: string;
  linkToNeighbour: string;
  neighbour: Extract<TableName, 'Artifact' | 'Execution' | 'Context'>;
}

function routeOf(nodeKind: NodeKind, join: Extract<Join, { kind: 'neighbour' }>): NeighbourRoute | { event: string } {
  switch (join.prefix) {
    case 'contexts':
      return nodeKind === 'artifact'
        ? { link: 'Attribution', linkToNode: 'artifact_id', linkToNeighbour: 'context_id', neighbour: 'Context' }
        : { link: 'Association', linkToNode: 'execution_id', linkToNeighbour: 'context_id', neighbour: 'Context' };
    case 'parent_contexts':
      return { link: 'ParentContext', linkToNode: 'context_id', linkToNeighbour: 'parent_context_id', neighbour: 'Context' };
    case 'child_contexts':
      return { link: 'ParentContext', linkToNode: 'parent_context_id', linkToNeighbour: 'context_id', neighbour: 'Context' };
    case 'artifacts':
      return { link: 'Attribution', linkToNode: 'context_id', linkToNeighbour: 'artifact_id', neighbour: 'Artifact' };
    case 'executions':
      return { link: 'Association', linkToNode: 'context_id', linkToNeighbour: 'execution_id', neighbour: 'Execution' };
    case 'events':
      return { event: nodeKind === 'artifact' ? 'artifact_id' : 'execution_id' };
  }
}

/** `SELECT DISTINCT f.id ...` of the nodes matching the filter; use as a subquery. */
export function buildFilteredIdsQuery(tx: Tx, filter: ResolvedFilter): Knex.QueryBuilder {
  const knex = tx.knex;
  const node = NODE_TABLES[filter.nodeKind];
  const query = knex.from({ f: tx.table(node.table) }).distinct('f.id');
  const typeNameNeeded = joinsReadingTypeName(filter.condition);
  filter.joins.forEach((join, i) => {
    const a = `j${i}`;
    switch (join.kind) {
      case 'nodeType':
        query.join({ [a]: tx.table('Type') }, function () {
          this.on(`${a}.id`, '=', 'f.type_id').andOnVal(`${a}.type_kind`, '=', node.typeKind);
        });
        break;
      case 'property':
        query.join({ [a]: tx.table(node.property) }, function () {
          this.on(`${a}.${node.propertyNodeColumn}`, '=', 'f.id')
            .andOnVal(`${a}.name`, '=', join.name)
            .andOnVal(`${a}.is_custom_property`, '=', booleanBinding(tx.dialect, join.custom));
        });
        break;
      case 'neighbour': {
        const route = routeOf(filter.nodeKind, join);
        if ('event' in route) {
          query.join({ [a]: tx.table('Event') }, `${a}.${route.event}`, 'f.id');
          break;
        }
        const link = `${a}l`;
        query.join({ [link]: tx.table(route.link) }, `${link}.${route.linkToNode}`, 'f.id');
        query.join({ [a]: tx.table(route.neighbour) }, `${a}.id`, `${link}.${route.linkToNeighbour}`);
        if (typeNameNeeded.has(i)) query.join({ [`${a}t`]: tx.table('Type') }, `${a}t.id`, `${a}.type_id`);
        break;
      }
    }
  });
  const sql = new SqlRenderer(tx.dialect, filter.joins);
  const condition = sql.render(filter.condition);
  query.whereRaw(condition, sql.bindings);
  return query;
}

/** Neighbour joins whose `type` (the neighbour's type name) the condition reads. */
function joinsReadingTypeName(expr: Typed, found = new Set<number>()): Set<number> {
  switch (expr.kind) {
    case 'column':
      if (expr.join >= 0 && expr.field === 'type') found.add(expr.join);
      break;
    case 'literal':
      break;
    case 'and':
    case 'or':
      expr.operands.forEach((o) => joinsReadingTypeName(o, found));
      break;
    case 'not':
      joinsReadingTypeName(expr.operand, found);
      break;
    case 'compare':
      joinsReadingTypeName(expr.left, found);
      joinsReadingTypeName(expr.right, found);
      break;
    case 'like':
      joinsReadingTypeName(expr.operand, found);
      joinsReadingTypeName(expr.pattern, found);
      break;
    case 'in':
      joinsReadingTypeName(expr.operand, found);
      expr.list.forEach((o) => joinsReadingTypeName(o, found));
      break;
    case 'between':
      [expr.operand, expr.low, expr.high].forEach((o) => joinsReadingTypeName(o, found));
      break;
    case 'isNull':
      joinsReadingTypeName(expr.operand, found);
      break;
  }
  return found;
}

/** better-sqlite3 cannot bind booleans; MySQL stores them as TINYINT(1); PostgreSQL has BOOLEAN. */
function booleanBinding(dialect: Dialect, value: boolean): boolean | number {
  return dialect === 'postgres' ? value : value ? 1 : 0;
}

/** AND/OR chains are rendered as a tree of small groups so SQLite's expression depth stays low. */
const GROUP = 8;

class SqlRenderer {
  readonly bindings: Knex.RawBinding[] = [];

  constructor(
    private readonly dialect: Dialect,
    private readonly joins: Join[],
  ) {}

  render(expr: Typed): string {
    switch (expr.kind) {
      case 'column':
        this.bindings.push(this.columnIdentifier(expr.join, expr.field));
        return '??';
      case 'literal':
        return this.literal(expr.value);
      case 'and':
      case 'or':
        return this.chain(expr.operands, expr.kind === 'and' ? ' AND ' : ' OR ');
      case 'not':
        return `(NOT ${this.render(expr.operand)})`;
      case 'compare': {
        const left = this.render(expr.left);
        const right = this.render(expr.right);
        return `(${left} ${expr.op === '!=' ? '<>' : expr.op} ${right})`;
      }
      case 'like': {
        const operand = this.render(expr.operand);
        const pattern = this.likePattern(expr.pattern);
        return `(${operand} ${expr.negated ? 'NOT LIKE' : 'LIKE'} ${pattern})`;
      }
      case 'in': {
        const operand = this.render(expr.operand);
        const list = expr.list.map((e) => this.render(e)).join(', ');
        return `(${operand} ${expr.negated ? 'NOT IN' : 'IN'} (${list}))`;
      }
      case 'between': {
        const operand = this.render(expr.operand);
        const low = this.render(expr.low);
        const high = this.render(expr.high);
        return `(${operand} ${expr.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${low} AND ${high})`;
      }
      case 'isNull':
        return `(${this.render(expr.operand)} ${expr.negated ? 'IS NOT NULL' : 'IS NULL'})`;
    }
  }

  private chain(operands: Typed[], op: string): string {
    if (operands.length <= GROUP) return `(${operands.map((o) => this.render(o)).join(op)})`;
    const size = Math.ceil(operands.length / GROUP);
    const groups: string[] = [];
    for (let i = 0; i < operands.length; i += size) groups.push(this.chain(operands.slice(i, i + size), op));
    return `(${groups.join(op)})`;
  }

  private columnIdentifier(join: number, field: string): string {
    if (join < 0) return `f.${field}`;
    const j = this.joins[join];
    if (j.kind === 'neighbour' && j.prefix !== 'events' && field === 'type') return `j${join}t.name`;
    return `j${join}.${field}`;
  }

  /** Numbers travel as bound text cast to a 64-bit integer so int64 values stay exact. */
  private literal(value: LiteralValue): string {
    switch (value.type) {
      case 'null':
        return 'NULL';
      case 'bool':
        return this.dialect === 'postgres' ? (value.value ? 'TRUE' : 'FALSE') : value.value ? '1' : '0';
      case 'int':
        this.bindings.push(value.value.toString());
        return this.dialect === 'mysql' ? 'CAST(? AS SIGNED)' : this.dialect === 'postgres' ? 'CAST(? AS BIGINT)' : 'CAST(? AS INTEGER)';
      case 'double':
        this.bindings.push(value.value);
        // mysql2 inlines a JS number as a numeric literal, which MySQL compares numerically.
        return this.dialect === 'postgres' ? 'CAST(? AS DOUBLE PRECISION)' : this.dialect === 'sqlite' ? 'CAST(? AS REAL)' : '?';
      case 'string':
        this.bindings.push(value.value);
        return this.dialect === 'postgres' ? 'CAST(? AS TEXT)' : '?';
    }
  }

  /**
   * PostgreSQL's LIKE treats `\` as an escape and rejects a pattern that ends in a lone one;
   * MySQL takes such a trailing `\` literally, so we make PostgreSQL do the same.
   */
  private likePattern(pattern: Typed): string {
    if (this.dialect === 'postgres' && pattern.kind === 'literal' && pattern.value.type === 'string') {
      return this.literal({ type: 'string', value: withLiteralTrailingBackslash(pattern.value.value) });
    }
    return this.render(pattern);
  }
}

export function withLiteralTrailingBackslash(pattern: string): string {
  const trailing = /\\*$/.exec(pattern)![0].length;
  return trailing % 2 === 1 ? `${pattern}\\` : pattern;
}
