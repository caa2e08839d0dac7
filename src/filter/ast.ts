/**
 * The two trees of the filter_query language.
 *
 * The syntax tree (`Expr`) is what the parser builds: it knows nothing about node kinds, so a
 * name like `contexts_a.name` or `LIVE` is just a dotted path. The resolver turns it into a
 * typed tree (`Typed`) for one node kind, in which every column says which joined relation it
 * reads from. Both the SQL translation and the in-memory evaluator consume the typed tree, so
 * they cannot disagree about what a name means.
 */

/** Where a token or node starts in the filter text: 0-based offset, 1-based line and column. */
export interface Position {
  offset: number;
  line: number;
  column: number;
}

/** One segment of a dotted path; `quoted` when it was written in backquotes. */
export interface PathSegment {
  text: string;
  quoted: boolean;
  pos: Position;
}

export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Expr =
  | { kind: 'or'; operands: Expr[]; pos: Position }
  | { kind: 'and'; operands: Expr[]; pos: Position }
  | { kind: 'not'; operand: Expr; pos: Position }
  /** `diamond` when `!=` was spelled `<>` (which upstream's enum-name rewrite does not know). */
  | { kind: 'compare'; op: ComparisonOp; left: Expr; right: Expr; pos: Position; diamond?: boolean }
  | { kind: 'like'; negated: boolean; operand: Expr; pattern: Expr; pos: Position }
  | { kind: 'in'; negated: boolean; operand: Expr; list: Expr[]; pos: Position }
  | { kind: 'between'; negated: boolean; operand: Expr; low: Expr; high: Expr; pos: Position }
  | { kind: 'isNull'; negated: boolean; operand: Expr; pos: Position }
  | { kind: 'path'; segments: PathSegment[]; pos: Position }
  | { kind: 'literal'; value: LiteralValue; pos: Position }
  /** Parenthesised sub-expression, kept so `(x)` is never mistaken for a bare enum name. */
  | { kind: 'paren'; inner: Expr; pos: Position };

export type LiteralValue =
  | { type: 'int'; value: bigint }
  | { type: 'double'; value: number }
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'null' };

// ---------------------------------------------------------------------------------------------
// Typed tree

export type { NodeKind } from '../database/tables';
import type { NodeKind } from '../database/tables';

/** GoogleSQL types the language uses; `null` is the type of the bare NULL literal. */
export type ValueType = 'int' | 'double' | 'string' | 'bool' | 'null';

export type NeighbourPrefix = 'contexts' | 'parent_contexts' | 'child_contexts' | 'artifacts' | 'executions' | 'events';

/**
 * A relation joined to the filtered node. Each is an existential inner join: the node matches
 * only through some row of every relation the filter mentions.
 */
export type Join =
  /** The node's own Type row (of the node's kind), for the `type` attribute. */
  | { kind: 'nodeType' }
  | { kind: 'neighbour'; prefix: NeighbourPrefix; alias: string }
  | { kind: 'property'; custom: boolean; name: string };

/** Columns of the filtered node itself. */
export type NodeField =
  | 'id'
  | 'type_id'
  | 'name'
  | 'external_id'
  | 'create_time_since_epoch'
  | 'last_update_time_since_epoch'
  | 'uri'
  | 'state'
  | 'last_known_state';

export type PropertyField = 'int_value' | 'double_value' | 'string_value' | 'bool_value';

/**
 * `join` is an index into ResolvedFilter.joins, or -1 for the node row. `field` is a node field
 * for the node row and node-like neighbours (`type` there is the neighbour's type name), a
 * property value column for property joins, `name` for the nodeType join, and an Event column
 * for `events_` joins.
 */
export interface ColumnRef {
  kind: 'column';
  join: number;
  field: string;
  type: ValueType;
}

export type Typed =
  | ColumnRef
  | { kind: 'literal'; value: LiteralValue; type: ValueType }
  | { kind: 'and' | 'or'; operands: Typed[]; type: 'bool' }
  | { kind: 'not'; operand: Typed; type: 'bool' }
  | { kind: 'compare'; op: ComparisonOp; left: Typed; right: Typed; type: 'bool' }
  | { kind: 'like'; negated: boolean; operand: Typed; pattern: Typed; type: 'bool' }
  | { kind: 'in'; negated: boolean; operand: Typed; list: Typed[]; type: 'bool' }
  | { kind: 'between'; negated: boolean; operand: Typed; low: Typed; high: Typed; type: 'bool' }
  | { kind: 'isNull'; negated: boolean; operand: Typed; type: 'bool' };

/** A validated filter for one node kind: its joins and its boolean condition. */
export interface ResolvedFilter {
  nodeKind: NodeKind;
  joins: Join[];
  condition: Typed;
}
