import type { Join, NodeKind, ResolvedFilter, Typed } from '../../src/filter/ast';
import type { Dialect } from '../../src/database/config';

/**
 * A reference evaluator of resolved filters over a plain in-memory graph, written directly
 * from the contract (§10.4 existential joins, SQL three-valued logic), independently of the SQL
 * translation. The differential test requires both to list the same ids.
 *
 * String semantics follow the backend being compared against (contract §10.6, Appendix B #42):
 * SQLite: `=` binary, LIKE ASCII-case-insensitive without escapes; PostgreSQL: `=` binary, LIKE
 * case-sensitive with `\` escapes; MySQL (case-insensitive collations): `=` and LIKE ASCII-case-
 * insensitive, `=` ignores trailing spaces, LIKE with `\` escapes.
 */

export type PropValue = { int: bigint } | { double: number } | { string: string } | { bool: boolean };

export interface GraphType {
  id: number;
  name: string;
  /** 0 execution, 1 artifact, 2 context (Type.type_kind). */
  typeKind: 0 | 1 | 2;
}

export interface GraphNode {
  id: number;
  typeId: number;
  name: string | null;
  externalId: string | null;
  createTime: number;
  lastUpdateTime: number;
  /** Artifacts only. */
  uri?: string;
  state?: number | null;
  /** Executions only. */
  lastKnownState?: number | null;
  properties: Record<string, PropValue>;
  customProperties: Record<string, PropValue>;
}

export interface GraphEvent {
  artifactId: number;
  executionId: number;
  type: number;
  millisecondsSinceEpoch: number;
}

export interface Graph {
  types: GraphType[];
  artifacts: GraphNode[];
  executions: GraphNode[];
  contexts: GraphNode[];
  attributions: { contextId: number; artifactId: number }[];
  associations: { contextId: number; executionId: number }[];
  parentContexts: { childId: number; parentId: number }[];
  events: GraphEvent[];
}

type Value = bigint | number | string | boolean | null;
type Row = Record<string, Value>;
type Truth = boolean | null;

const TYPE_KIND: Record<NodeKind, number> = { artifact: 1, execution: 0, context: 2 };

export function evaluateFilter(graph: Graph, filter: ResolvedFilter, dialect: Dialect): number[] {
  const nodes = filter.nodeKind === 'artifact' ? graph.artifacts : filter.nodeKind === 'execution' ? graph.executions : graph.contexts;
  const matched: number[] = [];
  for (const node of nodes) {
    const rowsPerJoin = filter.joins.map((join) => joinRows(graph, filter.nodeKind, node, join));
    if (rowsPerJoin.some((rows) => rows.length === 0)) continue;
    const self = nodeRow(graph, node);
    const chosen: Row[] = new Array(filter.joins.length);
    const exists = (i: number): boolean => {
      if (i === rowsPerJoin.length) return evalTruth(filter.condition, self, chosen, dialect) === true;
      for (const row of rowsPerJoin[i]) {
        chosen[i] = row;
        if (exists(i + 1)) return true;
      }
      return false;
    };
    if (exists(0)) matched.push(node.id);
  }
  return matched.sort((a, b) => a - b);
}

function nodeRow(graph: Graph, node: GraphNode): Row {
  const type = graph.types.find((t) => t.id === node.typeId);
  return {
    id: BigInt(node.id),
    type_id: BigInt(node.typeId),
    name: node.name,
    external_id: node.externalId,
    create_time_since_epoch: BigInt(node.createTime),
    last_update_time_since_epoch: BigInt(node.lastUpdateTime),
    uri: node.uri ?? null,
    state: node.state == null ? null : BigInt(node.state),
    last_known_state: node.lastKnownState == null ? null : BigInt(node.lastKnownState),
    // Neighbour rows expose their type's name as `type`; without a Type row there is no join row.
    type: type?.name ?? null,
  };
}

function joinRows(graph: Graph, kind: NodeKind, node: GraphNode, join: Join): Row[] {
  switch (join.kind) {
    case 'nodeType': {
      const type = graph.types.find((t) => t.id === node.typeId && t.typeKind === TYPE_KIND[kind]);
      return type ? [{ name: type.name }] : [];
    }
    case 'property': {
      const value = (join.custom ? node.customProperties : node.properties)[join.name];
      if (!value) return [];
      return [
        {
          int_value: 'int' in value ? value.int : null,
          double_value: 'double' in value ? value.double : null,
          string_value: 'string' in value ? value.string : null,
          bool_value: 'bool' in value ? value.bool : null,
        },
      ];
    }
    case 'neighbour': {
      const byId = (list: GraphNode[], id: number) => list.filter((n) => n.id === id).map((n) => nodeRow(graph, n));
      switch (join.prefix) {
        case 'contexts':
          return kind === 'artifact'
            ? graph.attributions.filter((a) => a.artifactId === node.id).flatMap((a) => byId(graph.contexts, a.contextId))
            : graph.associations.filter((a) => a.executionId === node.id).flatMap((a) => byId(graph.contexts, a.contextId));
        case 'parent_contexts':
          return graph.parentContexts.filter((p) => p.childId === node.id).flatMap((p) => byId(graph.contexts, p.parentId));
        case 'child_contexts':
          return graph.parentContexts.filter((p) => p.parentId === node.id).flatMap((p) => byId(graph.contexts, p.childId));
        case 'artifacts':
          return graph.attributions.filter((a) => a.contextId === node.id).flatMap((a) => byId(graph.artifacts, a.artifactId));
        case 'executions':
          return graph.associations.filter((a) => a.contextId === node.id).flatMap((a) => byId(graph.executions, a.executionId));
        case 'events':
          return graph.events
            .filter((e) => (kind === 'artifact' ? e.artifactId : e.executionId) === node.id)
            .map((e) => ({
              type: BigInt(e.type),
              milliseconds_since_epoch: BigInt(e.millisecondsSinceEpoch),
              execution_id: BigInt(e.executionId),
              artifact_id: BigInt(e.artifactId),
            }));
      }
    }
  }
}

function evalValue(expr: Typed, self: Row, joined: Row[], dialect: Dialect): Value {
  switch (expr.kind) {
    case 'column': {
      const row = expr.join < 0 ? self : joined[expr.join];
      return row[expr.field] ?? null;
    }
    case 'literal':
      return expr.value.type === 'null' ? null : expr.value.value;
    default:
      return evalTruth(expr, self, joined, dialect);
  }
}

function evalTruth(expr: Typed, self: Row, joined: Row[], dialect: Dialect): Truth {
  const value = (e: Typed) => evalValue(e, self, joined, dialect);
  const truth = (e: Typed) => evalTruth(e, self, joined, dialect);
  switch (expr.kind) {
    case 'column':
    case 'literal': {
      const v = value(expr);
      return v === null ? null : Boolean(v);
    }
    case 'and': {
      let result: Truth = true;
      for (const o of expr.operands) {
        const t = truth(o);
        if (t === false) return false;
        if (t === null) result = null;
      }
      return result;
    }
    case 'or': {
      let result: Truth = false;
      for (const o of expr.operands) {
        const t = truth(o);
        if (t === true) return true;
        if (t === null) result = null;
      }
      return result;
    }
    case 'not': {
      const t = truth(expr.operand);
      return t === null ? null : !t;
    }
    case 'compare': {
      const c = compare(value(expr.left), value(expr.right), dialect);
      if (c === null) return null;
      switch (expr.op) {
        case '=':
          return c === 0;
        case '!=':
          return c !== 0;
        case '<':
          return c < 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        case '>=':
          return c >= 0;
      }
      return null;
    }
    case 'like': {
      const subject = value(expr.operand);
      const pattern = value(expr.pattern);
      if (subject === null || pattern === null) return null;
      const matches = likeMatches(String(subject), String(pattern), dialect);
      return expr.negated ? !matches : matches;
    }
    case 'in': {
      const subject = value(expr.operand);
      let result: Truth = false;
      if (subject === null) result = null;
      else {
        for (const element of expr.list) {
          const c = compare(subject, value(element), dialect);
          if (c === 0) {
            result = true;
            break;
          }
          if (c === null) result = null;
        }
      }
      return expr.negated && result !== null ? !result : result;
    }
    case 'between': {
      const subject = value(expr.operand);
      const low = compare(subject, value(expr.low), dialect);
      const high = compare(subject, value(expr.high), dialect);
      const lowOk: Truth = low === null ? null : low >= 0;
      const highOk: Truth = high === null ? null : high <= 0;
      const both: Truth = lowOk === false || highOk === false ? false : lowOk === null || highOk === null ? null : true;
      return expr.negated && both !== null ? !both : both;
    }
    case 'isNull': {
      const isNull = value(expr.operand) === null;
      return expr.negated ? !isNull : isNull;
    }
  }
}

/** Negative, zero or positive; null when either side is NULL. */
export function compare(a: Value, b: Value, dialect: Dialect): number | null {
  if (a === null || b === null) return null;
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') {
    const [x, y] = dialect === 'mysql' ? [foldForMysql(a), foldForMysql(b)] : [a, b];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return compareNumbers(a as bigint | number, b as bigint | number);
}

function compareNumbers(a: bigint | number, b: bigint | number): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const [big, num, sign] = typeof a === 'bigint' ? [a, b as number, 1] : [b as bigint, a as number, -1];
  if (Number.isInteger(num)) {
    const n = BigInt(num);
    return sign * (big < n ? -1 : big > n ? 1 : 0);
  }
  const asNumber = Number(big);
  return sign * (asNumber < num ? -1 : 1);
}

/**
 * Case-insensitive PAD SPACE collations (utf8mb4_general_ci, latin1_swedish_ci): letters weigh
 * as their upper case, trailing spaces are ignored. Exact for ASCII, which is all tests use.
 */
function foldForMysql(s: string): string {
  return s.toUpperCase().replace(/ +$/, '');
}

export function likeMatches(subject: string, pattern: string, dialect: Dialect): boolean {
  const escapes = dialect !== 'sqlite';
  let source = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (escapes && c === '\\' && i + 1 < chars.length) {
      source += escapeRegex(chars[++i]);
    } else if (c === '%') {
      source += '.*';
    } else if (c === '_') {
      source += '.';
    } else {
      source += escapeRegex(c);
    }
  }
  const caseInsensitive = dialect !== 'postgres';
  // Case folding is ASCII-only on SQLite; ASCII-only test data keeps MySQL comparable too.
  const fold = (s: string) => (caseInsensitive ? s.replace(/[A-Z]/g, (ch) => ch.toLowerCase()) : s);
  const re = new RegExp(`^${fold(source)}$`, 'su');
  return re.test(fold(subject));
}

function escapeRegex(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}
