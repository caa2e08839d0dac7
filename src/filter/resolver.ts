import type { ColumnRef, Expr, Join, NeighbourPrefix, NodeKind, PathSegment, ResolvedFilter, Typed, ValueType } from './ast';
import { filterError } from './filter_error';
import { ENUM_VALUES, NEIGHBOUR_ALIAS, NEIGHBOURS, NODE_ATTRIBUTES, PROPERTY_FIELDS, SQL_TYPE_NAMES, type EnumName, type FieldSpec } from './vocabulary';

/**
 * Distinct joined relations per filter. Every alias or property is one more join; MySQL
 * refuses more than 61 tables in a statement and a neighbour costs up to three.
 */
export const MAX_JOINS = 16;

/**
 * Semantic validation: resolves names for one node kind, type-checks like GoogleSQL would, and
 * applies upstream's enum-name rewrite (§10.5). Every failure is INVALID_ARGUMENT.
 */
export function resolveFilter(expr: Expr, nodeKind: NodeKind): ResolvedFilter {
  const resolver = new Resolver(nodeKind);
  const condition = resolver.resolve(expr);
  if (condition.type !== 'bool') {
    throw filterError(`Given query string is not a valid boolean expression (its type is ${SQL_TYPE_NAMES[condition.type]})`);
  }
  return { nodeKind, joins: resolver.joins, condition };
}

const isNumeric = (t: ValueType) => t === 'int' || t === 'double';
const compatible = (a: ValueType, b: ValueType) => a === 'null' || b === 'null' || a === b || (isNumeric(a) && isNumeric(b));
const pathText = (segments: PathSegment[]) => segments.map((s) => (s.quoted ? `\`${s.text}\`` : s.text)).join('.');

interface ResolvedColumn {
  ref: ColumnRef;
  spec: FieldSpec;
  /** True when written exactly as upstream's enum rewrite recognises it (lower case, unquoted). */
  enumSpelling: boolean;
}

class Resolver {
  readonly joins: Join[] = [];
  private readonly joinIndex = new Map<string, number>();

  constructor(private readonly nodeKind: NodeKind) {}

  resolve(expr: Expr): Typed {
    switch (expr.kind) {
      case 'paren':
        return this.resolve(expr.inner);
      case 'literal':
        return { kind: 'literal', value: expr.value, type: expr.value.type };
      case 'path':
        return this.resolvePath(expr.segments).ref;
      case 'and':
      case 'or': {
        const operands = expr.operands.map((o) => this.resolve(o));
        for (const o of operands) this.requireBool(o, expr.kind.toUpperCase(), expr.pos);
        return { kind: expr.kind, operands, type: 'bool' };
      }
      case 'not': {
        const operand = this.resolve(expr.operand);
        this.requireBool(operand, 'NOT', expr.pos);
        return { kind: 'not', operand, type: 'bool' };
      }
      case 'compare':
        return this.resolveCompare(expr);
      case 'in':
        return this.resolveIn(expr);
      case 'like': {
        const operand = this.resolve(expr.operand);
        if (expr.pattern.kind !== 'literal' || (expr.pattern.value.type !== 'string' && expr.pattern.value.type !== 'null')) {
          // A column as pattern could make the backend reject the statement (PostgreSQL, on a
          // trailing backslash); upstream's clients only ever write literal patterns.
          throw filterError('the pattern of LIKE must be a string literal', expr.pattern.pos);
        }
        const pattern = this.resolve(expr.pattern);
        if (!compatible(operand.type, 'string')) this.noSignature('LIKE', [operand.type, pattern.type], expr.pos);
        return { kind: 'like', negated: expr.negated, operand, pattern, type: 'bool' };
      }
      case 'between': {
        const operand = this.resolve(expr.operand);
        const low = this.resolve(expr.low);
        const high = this.resolve(expr.high);
        if (!compatible(operand.type, low.type) || !compatible(operand.type, high.type) || !compatible(low.type, high.type)) {
          this.noSignature('BETWEEN', [operand.type, low.type, high.type], expr.pos);
        }
        return { kind: 'between', negated: expr.negated, operand, low, high, type: 'bool' };
      }
      case 'isNull':
        return { kind: 'isNull', negated: expr.negated, operand: this.resolve(expr.operand), type: 'bool' };
    }
  }

  private requireBool(operand: Typed, op: string, pos: Expr['pos']): void {
    if (operand.type !== 'bool' && operand.type !== 'null') {
      throw filterError(`No matching signature for operator ${op} for argument type ${SQL_TYPE_NAMES[operand.type]}`, pos);
    }
  }

  private noSignature(op: string, types: ValueType[], pos: Expr['pos']): never {
    throw filterError(`No matching signature for operator ${op} for argument types: ${types.map((t) => SQL_TYPE_NAMES[t]).join(', ')}`, pos);
  }

  private resolveCompare(expr: Extract<Expr, { kind: 'compare' }>): Typed {
    const enumColumn = this.enumColumnOf(expr.left);
    if (enumColumn && (expr.op === '=' || expr.op === '!=') && !expr.diamond) {
      const value = enumValueOf(expr.right, enumColumn.spec.enumName!, true);
      if (value !== undefined) {
        const literal: Typed = { kind: 'literal', value: { type: 'int', value: BigInt(value) }, type: 'int' };
        const compare: Typed = { kind: 'compare', op: expr.op, left: enumColumn.ref, right: literal, type: 'bool' };
        // Upstream: `x != NAME` also matches an unset x.
        return expr.op === '=' ? compare : { kind: 'or', operands: [compare, nullCheck(enumColumn.ref)], type: 'bool' };
      }
    }
    const left = this.resolve(expr.left);
    const right = this.resolve(expr.right);
    if (!compatible(left.type, right.type)) this.noSignature(expr.diamond ? '<>' : expr.op, [left.type, right.type], expr.pos);
    return { kind: 'compare', op: expr.op, left, right, type: 'bool' };
  }

  private resolveIn(expr: Extract<Expr, { kind: 'in' }>): Typed {
    const enumColumn = this.enumColumnOf(expr.operand);
    if (enumColumn) {
      // Each element is an enum name or a plain integer (TFX writes `state IN (2, 3, 4)`).
      let usedNames = false;
      const list: Typed[] = expr.list.map((element) => {
        const value = enumValueOf(element, enumColumn.spec.enumName!, false);
        if (value !== undefined) {
          usedNames = true;
          return { kind: 'literal', value: { type: 'int', value: BigInt(value) }, type: 'int' } as Typed;
        }
        return this.resolve(element);
      });
      for (const element of list) {
        if (!compatible(enumColumn.ref.type, element.type)) this.noSignature('IN', [enumColumn.ref.type, element.type], expr.pos);
      }
      const inList: Typed = { kind: 'in', negated: expr.negated, operand: enumColumn.ref, list, type: 'bool' };
      // Upstream's rewrite of `x NOT IN (NAMES)` also matches an unset x.
      return expr.negated && usedNames ? { kind: 'or', operands: [inList, nullCheck(enumColumn.ref)], type: 'bool' } : inList;
    }
    const operand = this.resolve(expr.operand);
    const list = expr.list.map((e) => this.resolve(e));
    for (const element of list) {
      if (!compatible(operand.type, element.type)) this.noSignature('IN', [operand.type, element.type], expr.pos);
    }
    return { kind: 'in', negated: expr.negated, operand, list, type: 'bool' };
  }

  /** The column if `expr` names an enum-valued column spelled the way the rewrite expects. */
  private enumColumnOf(expr: Expr): ResolvedColumn | undefined {
    if (expr.kind !== 'path') return undefined;
    const column = this.resolvePath(expr.segments);
    return column.spec.enumName && column.enumSpelling ? column : undefined;
  }

  private resolvePath(segments: PathSegment[]): ResolvedColumn {
    const [head, ...rest] = segments;
    const full = pathText(segments);
    if (!head.quoted && (head.text === 'properties' || head.text === 'custom_properties')) {
      return this.resolveProperty(head.text === 'custom_properties', segments);
    }
    const neighbour = head.quoted ? null : NEIGHBOUR_ALIAS.exec(head.text);
    if (neighbour && NEIGHBOURS[neighbour[1] as NeighbourPrefix].allowedOn.includes(this.nodeKind)) {
      const prefix = neighbour[1] as NeighbourPrefix;
      if (rest.length === 0) throw filterError(`${head.text} must be followed by a field name, as in ${head.text}.id`, head.pos);
      if (rest.length > 1) throw filterError(`Unrecognized name: ${full}`, head.pos);
      const fieldName = rest[0].text.toLowerCase();
      const fields = NEIGHBOURS[prefix].fields(this.nodeKind);
      const spec = Object.hasOwn(fields, fieldName) ? fields[fieldName] : undefined;
      if (!spec) {
        throw filterError(`Field name ${rest[0].text} does not exist in ${head.text} (known: ${Object.keys(fields).join(', ')})`, rest[0].pos);
      }
      const join = this.join({ kind: 'neighbour', prefix, alias: head.text }, head.pos);
      return {
        ref: { kind: 'column', join, field: fieldName, type: spec.type },
        spec,
        enumSpelling: !rest[0].quoted && rest[0].text === fieldName,
      };
    }
    const attributes = NODE_ATTRIBUTES[this.nodeKind];
    const name = head.text.toLowerCase();
    const spec = rest.length === 0 && Object.hasOwn(attributes, name) ? attributes[name] : undefined;
    if (!spec) throw filterError(`Unrecognized name: ${full}`, head.pos);
    if (name === 'type') {
      const join = this.join({ kind: 'nodeType' }, head.pos);
      return { ref: { kind: 'column', join, field: 'name', type: 'string' }, spec, enumSpelling: false };
    }
    return { ref: { kind: 'column', join: -1, field: name, type: spec.type }, spec, enumSpelling: !head.quoted && head.text === name };
  }

  private resolveProperty(custom: boolean, segments: PathSegment[]): ResolvedColumn {
    const [head, nameSegment, fieldSegment, ...extra] = segments;
    const usage = `${head.text}.<name>.int_value (or double_value, string_value, bool_value)`;
    if (!nameSegment) throw filterError(`Unrecognized name: ${head.text}; expected ${usage}`, head.pos);
    if (!fieldSegment) throw filterError(`${pathText(segments)} must be followed by a value field, as in ${usage}`, nameSegment.pos);
    if (extra.length > 0) throw filterError(`Unrecognized name: ${pathText(segments)}; expected ${usage}`, extra[0].pos);
    const type = !fieldSegment.quoted && Object.hasOwn(PROPERTY_FIELDS, fieldSegment.text)
      ? PROPERTY_FIELDS[fieldSegment.text as keyof typeof PROPERTY_FIELDS]
      : undefined;
    if (!type) {
      throw filterError(`Field name ${fieldSegment.text} does not exist; expected int_value, double_value, string_value or bool_value`, fieldSegment.pos);
    }
    const join = this.join({ kind: 'property', custom, name: nameSegment.text }, head.pos);
    return { ref: { kind: 'column', join, field: fieldSegment.text, type }, spec: { type }, enumSpelling: false };
  }

  private join(join: Join, pos: Expr['pos']): number {
    const key = JSON.stringify(join);
    const known = this.joinIndex.get(key);
    if (known !== undefined) return known;
    if (this.joins.length >= MAX_JOINS) {
      throw filterError(`the filter mentions more than ${MAX_JOINS} distinct neighbours and properties`, pos);
    }
    this.joins.push(join);
    this.joinIndex.set(key, this.joins.length - 1);
    return this.joins.length - 1;
  }
}

function nullCheck(ref: ColumnRef): Typed {
  return { kind: 'isNull', negated: false, operand: ref, type: 'bool' };
}

/**
 * The enum number for a name on the right of an enum predicate, or undefined when `expr` is
 * something else to type-check normally. Like upstream, a bare word or number that is not a
 * name of the enum is an error after `=`/`!=` (`state = 1`, `state = RUNNING`); inside IN
 * lists plain integers stay integers.
 */
function enumValueOf(expr: Expr, enumName: EnumName, strict: boolean): number | undefined {
  const values = ENUM_VALUES[enumName];
  if (expr.kind === 'path' && expr.segments.length === 1 && !expr.segments[0].quoted) {
    const name = expr.segments[0].text;
    if (Object.hasOwn(values, name)) return values[name];
    throw filterError(`Unsupported enum value specified in the query: ${name}`, expr.pos);
  }
  if (strict && expr.kind === 'literal') {
    const v = expr.value;
    const word = v.type === 'int' && v.value >= 0n ? String(v.value) : v.type === 'bool' ? String(v.value).toUpperCase() : v.type === 'null' ? 'NULL' : undefined;
    if (word !== undefined) throw filterError(`Unsupported enum value specified in the query: ${word}`, expr.pos);
  }
  return undefined;
}
