import type { Knex } from 'knex';
import type { Dialect } from '../database/config';
import type { Tx } from '../database/database';
import type { TableName } from '../database/tables';
import type { ColumnRef, Join, LiteralValue, NodeKind, ResolvedFilter, Typed } from './ast';
import { filterError } from './filter_error';

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

/**
 * Neighbour aliases that stay in the main join (because the condition couples them with other
 * relations, e.g. through OR) multiply rows per node and, on MariaDB, make the optimizer search
 * every join order; beyond this many the filter is refused rather than run for minutes.
 */
export const MAX_CROSS_JOINED_NEIGHBOURS = 4;

/** One table of a join path; the first step's `on` columns connect it to the node `f`. */
interface JoinStep {
  alias: string;
  table: TableName;
  on: [string, string];
  /** Extra equality conditions against constant (bound) values. */
  values?: [string, unknown][];
}

function joinSteps(filter: ResolvedFilter, i: number, dialect: Dialect, typeNameNeeded: Set<number>, f: string): JoinStep[] {
  const join = filter.joins[i];
  const node = NODE_TABLES[filter.nodeKind];
  const a = `j${i}`;
  switch (join.kind) {
    case 'nodeType':
      return [{ alias: a, table: 'Type', on: [`${a}.id`, `${f}.type_id`], values: [[`${a}.type_kind`, node.typeKind]] }];
    case 'property':
      return [
        {
          alias: a,
          table: node.property,
          on: [`${a}.${node.propertyNodeColumn}`, `${f}.id`],
          values: [
            [`${a}.name`, join.name],
            [`${a}.is_custom_property`, booleanBinding(dialect, join.custom)],
          ],
        },
      ];
    case 'neighbour': {
      const route = routeOf(filter.nodeKind, join);
      if ('event' in route) return [{ alias: a, table: 'Event', on: [`${a}.${route.event}`, `${f}.id`] }];
      const link = `${a}l`;
      const steps: JoinStep[] = [
        { alias: link, table: route.link, on: [`${link}.${route.linkToNode}`, `${f}.id`] },
        { alias: a, table: route.neighbour, on: [`${a}.id`, `${link}.${route.linkToNeighbour}`] },
      ];
      if (typeNameNeeded.has(i)) steps.push({ alias: `${a}t`, table: 'Type', on: [`${a}t.id`, `${a}.type_id`] });
      return steps;
    }
  }
}

/**
 * `SELECT f.id ...` of the nodes matching the filter (DISTINCT when coupled neighbours are
 * joined); use as a subquery.
 */
export function buildFilteredIdsQuery(tx: Tx, filter: ResolvedFilter): Knex.QueryBuilder {
  const node = NODE_TABLES[filter.nodeKind];
  const plan = planJoins(filter);
  const query = tx.knex.from({ f: tx.table(node.table) });
  if (joinedNeighbours(filter, plan)) query.distinct('f.id');
  else query.select('f.id');
  applyPlan(tx, filter, plan, query, 'f');
  return query;
}

/**
 * Narrows `query`, whose node table is aliased `alias`, to the nodes matching the filter: in
 * place when no neighbour has to be joined (every filter real clients send), else through
 * `alias.id IN (buildFilteredIdsQuery)`.
 */
export function restrictToFilter(tx: Tx, filter: ResolvedFilter, query: Knex.QueryBuilder, alias: string): void {
  const plan = planJoins(filter);
  if (joinedNeighbours(filter, plan)) query.whereIn(`${alias}.id`, buildFilteredIdsQuery(tx, filter));
  else applyPlan(tx, filter, plan, query, alias);
}

function joinedNeighbours(filter: ResolvedFilter, plan: JoinPlan): boolean {
  return filter.joins.some((join, i) => join.kind === 'neighbour' && !plan.ownConjuncts.has(i));
}

/**
 * The conditions of the filter on `query` (node table aliased `nodeAlias`).
 *
 * A relation whose every mention sits in top-level AND conjuncts that mention no other
 * relation is quantified on its own: "some row of it satisfies its conjuncts", written as an
 * uncorrelated semi-join `f.id IN (SELECT <node column> FROM <relation> WHERE <its conjuncts>)`.
 * (There exists a combination of rows making all conjuncts true iff each such relation has a
 * row making its own conjuncts true.) Uncorrelated, the optimiser may start from the most
 * selective one (an indexed context name, property value or type) and look the node up by
 * primary key, instead of testing every node row; it is every filter real clients send. Only
 * relations coupled through OR/NOT or cross-relation comparisons stay in the multiplying join.
 */
function applyPlan(tx: Tx, filter: ResolvedFilter, plan: JoinPlan, query: Knex.QueryBuilder, nodeAlias: string): void {
  const knex = tx.knex;
  const typeNameNeeded = new Set<number>();
  visitColumns(filter.condition, (c) => {
    if (c.join >= 0 && c.field === 'type' && filter.joins[c.join].kind === 'neighbour') typeNameNeeded.add(c.join);
  });
  const steps = (i: number) => joinSteps(filter, i, tx.dialect, typeNameNeeded, nodeAlias);
  const { ownConjuncts, remaining } = plan;

  // Single-row relations (a property, the node's type) that must stay coupled are read through
  // scalar subqueries instead of joins: MariaDB's optimizer searches every order of the tables
  // in a join, which takes minutes at 17 tables. An EXISTS keeps their inner-join meaning.
  const scalar = new Set<number>();
  filter.joins.forEach((join, i) => {
    if (!ownConjuncts.has(i) && join.kind !== 'neighbour') scalar.add(i);
  });
  const renderer = () => new SqlRenderer(tx.dialect, filter.joins, scalar, (i) => steps(i)[0], tx, nodeAlias);
  const semiJoins = semiJoinRelations(tx.dialect, filter, plan);

  filter.joins.forEach((_, i) => {
    const path = steps(i);
    const own = ownConjuncts.get(i) ?? (scalar.has(i) ? [] : undefined);
    if (!own) {
      for (const step of path) {
        query.join({ [step.alias]: tx.table(step.table) }, function () {
          this.on(step.on[0], '=', step.on[1]);
          for (const [column, value] of step.values ?? []) this.andOnVal(column, '=', value as Knex.Value);
        });
      }
      return;
    }
    const [first, ...rest] = path;
    const semi = semiJoins.has(i);
    // Beyond MariaDB's semi-join budget (see semiJoinRelations) an aggregate, which it never
    // flattens into the join, tests the remaining relations per candidate row.
    const sub = semi ? knex.select(first.on[0]) : tx.dialect === 'mysql' ? knex.count({ n: '*' }) : knex.select(knex.raw('1'));
    sub.from({ [first.alias]: tx.table(first.table) });
    for (const step of rest) sub.join({ [step.alias]: tx.table(step.table) }, step.on[0], step.on[1]);
    if (!semi) sub.whereRaw('?? = ??', [first.on[0], first.on[1]]);
    for (const [column, value] of first.values ?? []) sub.where(column, value as Knex.Value);
    if (own.length > 0) {
      const sql = renderer();
      const condition = sql.render(own.length === 1 ? own[0] : { kind: 'and', operands: own, type: 'bool' });
      sub.whereRaw(condition, sql.bindings);
    }
    if (semi) query.whereIn(first.on[1], sub);
    else if (tx.dialect === 'mysql') query.whereRaw('(?) > 0', [sub]);
    else query.whereExists(sub);
  });
  if (remaining.length > 0) {
    const sql = renderer();
    const condition = sql.render(remaining.length === 1 ? remaining[0] : { kind: 'and', operands: remaining, type: 'bool' });
    query.whereRaw(condition, sql.bindings);
  }
}

/**
 * The AND-isolated relations written as uncorrelated semi-joins. SQLite and PostgreSQL take
 * them all. MariaDB flattens every semi-join into one join and searches all its table orders,
 * exponential in the tables (seconds at 8 aliases), so it gets the relations that look most
 * selective (equality on a value before ranges, patterns and negations), up to nine tables (3 ms to plan at 9, 150 ms at 24 on MariaDB 10.11);
 * the rest are tested per candidate row by an aggregate subquery it keeps apart.
 */
export const MYSQL_SEMI_JOIN_TABLES = 9;

function semiJoinRelations(dialect: Dialect, filter: ResolvedFilter, plan: JoinPlan): Set<number> {
  const own = [...plan.ownConjuncts.keys()];
  if (dialect !== 'mysql') return new Set(own);
  const ranked = own
    .map((i) => ({ i, rank: selectivityRank(plan.ownConjuncts.get(i)!), tables: tablesOf(filter.joins[i]) }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i);
  const chosen = new Set<number>();
  let tables = 0;
  for (const { i, tables: n } of ranked) {
    if (tables + n > MYSQL_SEMI_JOIN_TABLES) continue;
    chosen.add(i);
    tables += n;
  }
  return chosen;
}

const tablesOf = (join: Join) => (join.kind === 'neighbour' ? (join.prefix === 'events' ? 1 : 3) : 1);

/** 0: an equality or IN list with a value; 1: a range, BETWEEN or LIKE; 2: anything else. */
function selectivityRank(conjuncts: Typed[]): number {
  const rankOf = (c: Typed): number => {
    const valued = (e: Typed) => e.kind === 'literal' && e.value.type !== 'null';
    switch (c.kind) {
      case 'compare':
        if (!valued(c.left) && !valued(c.right)) return 2;
        return c.op === '=' ? 0 : c.op === '!=' ? 2 : 1;
      case 'in':
        return c.negated || !c.list.every(valued) ? 2 : 0;
      case 'like':
      case 'between':
        return c.negated ? 2 : 1;
      case 'and':
        return Math.min(...c.operands.map(rankOf));
      default:
        return 2;
    }
  };
  return Math.min(...conjuncts.map(rankOf));
}

export interface JoinPlan {
  /** Relations quantified on their own (EXISTS), with the top-level conjuncts that use them. */
  ownConjuncts: Map<number, Typed[]>;
  /** Conjuncts evaluated over the join of the remaining relations. */
  remaining: Typed[];
}

/** Splits the condition as described at applyPlan; refuses unbounded cross joins. */
export function planJoins(filter: ResolvedFilter): JoinPlan {
  const conjuncts = filter.condition.kind === 'and' ? filter.condition.operands : [filter.condition];
  const mentions = conjuncts.map((c) => {
    const joins = new Set<number>();
    visitColumns(c, (col) => col.join >= 0 && joins.add(col.join));
    return joins;
  });
  const isolated = (j: number) => mentions.every((m) => !m.has(j) || m.size === 1);
  const ownConjuncts = new Map<number, Typed[]>();
  const remaining: Typed[] = [];
  conjuncts.forEach((c, k) => {
    const [only] = mentions[k];
    if (mentions[k].size === 1 && isolated(only)) ownConjuncts.set(only, [...(ownConjuncts.get(only) ?? []), c]);
    else remaining.push(c);
  });
  const crossJoined = filter.joins.filter((j, i) => j.kind === 'neighbour' && !ownConjuncts.has(i)).length;
  if (crossJoined > MAX_CROSS_JOINED_NEIGHBOURS) {
    throw filterError(
      `the filter combines more than ${MAX_CROSS_JOINED_NEIGHBOURS} neighbour aliases through OR, NOT or comparisons between them; ` +
        'conditions on separate aliases joined with AND have no limit',
    );
  }
  return { ownConjuncts, remaining };
}

function visitColumns(expr: Typed, visit: (column: ColumnRef) => void): void {
  switch (expr.kind) {
    case 'column':
      visit(expr);
      break;
    case 'literal':
      break;
    case 'and':
    case 'or':
      expr.operands.forEach((o) => visitColumns(o, visit));
      break;
    case 'not':
      visitColumns(expr.operand, visit);
      break;
    case 'compare':
      visitColumns(expr.left, visit);
      visitColumns(expr.right, visit);
      break;
    case 'like':
      visitColumns(expr.operand, visit);
      visitColumns(expr.pattern, visit);
      break;
    case 'in':
      visitColumns(expr.operand, visit);
      expr.list.forEach((o) => visitColumns(o, visit));
      break;
    case 'between':
      [expr.operand, expr.low, expr.high].forEach((o) => visitColumns(o, visit));
      break;
    case 'isNull':
      visitColumns(expr.operand, visit);
      break;
  }
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
    /** Joins read through a correlated scalar subquery rather than a joined alias. */
    private readonly scalar: Set<number>,
    private readonly stepOf: (join: number) => JoinStep,
    private readonly tx: Tx,
    /** The alias of the filtered node's table. */
    private readonly nodeAlias: string,
  ) {}

  render(expr: Typed): string {
    switch (expr.kind) {
      case 'column':
        if (this.scalar.has(expr.join)) return this.scalarColumn(expr.join, expr.field);
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

  /** `(SELECT s.<field> FROM <table> s WHERE s.<node column> = f.<column> AND <constants>)` */
  private scalarColumn(join: number, field: string): string {
    const step = this.stepOf(join);
    const local = (column: string) => `s.${column.slice(column.indexOf('.') + 1)}`;
    this.bindings.push(`s.${field}`, this.tx.table(step.table), 's', local(step.on[0]), step.on[1]);
    let sql = '(SELECT ?? FROM ?? AS ?? WHERE ?? = ??';
    for (const [column, value] of step.values ?? []) {
      this.bindings.push(local(column), value as Knex.RawBinding);
      sql += ' AND ?? = ?';
    }
    return `${sql})`;
  }

  private columnIdentifier(join: number, field: string): string {
    if (join < 0) return `${this.nodeAlias}.${field}`;
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
        // mysql2 inlines the number as a DECIMAL literal, and MariaDB 10.11 answers
        // `bigint_col = 0.5` with TRUE for 1 (it rounds the constant to the column type);
        // adding 0E0 makes it a DOUBLE, which compares exactly.
        return this.dialect === 'postgres' ? 'CAST(? AS DOUBLE PRECISION)' : this.dialect === 'sqlite' ? 'CAST(? AS REAL)' : '(? + 0E0)';
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
