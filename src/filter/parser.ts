import type { ComparisonOp, Expr, LiteralValue, Position } from './ast';
import { filterError } from './filter_error';
import { tokenize, type Keyword, type Punct, type Token } from './lexer';

/**
 * Recursive-descent parser for filter_query (contract §10.2). Precedence, loosest first:
 * OR, AND, NOT, then one non-associative comparison (=, !=, <>, <, <=, >, >=, [NOT] LIKE,
 * [NOT] IN (...), [NOT] BETWEEN x AND y, IS [NOT] NULL). Keywords are case-insensitive.
 *
 * Refused with INVALID_ARGUMENT (upstream would accept some of these, see README):
 * arithmetic other than a sign on a number literal, function calls, subqueries.
 *
 * Size limits keep every accepted filter executable on every backend (SQLite's expression
 * depth, bind-parameter limits) and keep this parser's recursion shallow.
 */
export const PARSE_LIMITS = {
  /** Nesting of parentheses and NOTs. */
  maxDepth: 64,
  /** Leaf predicates (comparisons, LIKE, IN, ...). */
  maxPredicates: 1000,
  /** Values across all IN lists. */
  maxListValues: 10000,
};

const INT64_MAX = (1n << 63n) - 1n;

export function parseFilter(text: string): Expr {
  return new Parser(tokenize(text)).parseAll();
}

class Parser {
  private k = 0;
  private depth = 0;
  private predicates = 0;
  private listValues = 0;

  constructor(private readonly tokens: Token[]) {}

  parseAll(): Expr {
    const first = this.peek();
    if (first.kind === 'eof') throw filterError('the filter is empty', first.pos);
    const expr = this.parseOr();
    const rest = this.peek();
    if (rest.kind !== 'eof') throw this.unexpected(rest, rest.kind === 'punct' && rest.text === ')' ? 'unbalanced parenthesis' : undefined);
    return expr;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.k + ahead, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.k++;
    return t;
  }

  private isKeyword(t: Token, word: Keyword): boolean {
    return t.kind === 'keyword' && t.word === word;
  }

  private isPunct(t: Token, text: Punct): boolean {
    return t.kind === 'punct' && t.text === text;
  }

  private expectPunct(text: Punct, context: string): Token {
    const t = this.next();
    if (!this.isPunct(t, text)) throw this.unexpected(t, `expected '${text}' ${context}`);
    return t;
  }

  private enter(pos: Position): void {
    if (++this.depth > PARSE_LIMITS.maxDepth) {
      throw filterError(`the filter nests deeper than ${PARSE_LIMITS.maxDepth} levels`, pos);
    }
  }

  private countPredicate(pos: Position): void {
    if (++this.predicates > PARSE_LIMITS.maxPredicates) {
      throw filterError(`the filter has more than ${PARSE_LIMITS.maxPredicates} predicates`, pos);
    }
  }

  private parseOr(): Expr {
    const first = this.parseAnd();
    if (!this.isKeyword(this.peek(), 'OR')) return first;
    const operands = [first];
    while (this.isKeyword(this.peek(), 'OR')) {
      this.next();
      operands.push(this.parseAnd());
    }
    return { kind: 'or', operands, pos: first.pos };
  }

  private parseAnd(): Expr {
    const first = this.parseNot();
    if (!this.isKeyword(this.peek(), 'AND')) return first;
    const operands = [first];
    while (this.isKeyword(this.peek(), 'AND')) {
      this.next();
      operands.push(this.parseNot());
    }
    return { kind: 'and', operands, pos: first.pos };
  }

  private parseNot(): Expr {
    const t = this.peek();
    if (this.isKeyword(t, 'NOT')) {
      this.next();
      this.enter(t.pos);
      const operand = this.parseNot();
      this.depth--;
      return { kind: 'not', operand, pos: t.pos };
    }
    return this.parseComparison();
  }

  private parseComparison(): Expr {
    const operand = this.parseOperand();
    const pos = operand.pos;
    const t = this.peek();
    if (t.kind === 'punct' && ['=', '!=', '<>', '<', '<=', '>', '>='].includes(t.text)) {
      this.next();
      const op = (t.text === '<>' ? '!=' : t.text) as ComparisonOp;
      const right = this.parseOperand();
      this.countPredicate(pos);
      return this.noChainedComparison({ kind: 'compare', op, left: operand, right, pos, ...(t.text === '<>' ? { diamond: true } : {}) });
    }
    let negated = false;
    if (this.isKeyword(t, 'NOT')) {
      const after = this.peek(1);
      if (!this.isKeyword(after, 'LIKE') && !this.isKeyword(after, 'IN') && !this.isKeyword(after, 'BETWEEN')) {
        throw this.unexpected(after, 'expected LIKE, IN or BETWEEN after NOT');
      }
      this.next();
      negated = true;
    }
    const op = this.peek();
    if (this.isKeyword(op, 'LIKE')) {
      this.next();
      const pattern = this.parseOperand();
      this.countPredicate(pos);
      return this.noChainedComparison({ kind: 'like', negated, operand, pattern, pos });
    }
    if (this.isKeyword(op, 'IN')) {
      this.next();
      const list = this.parseInList(operand);
      this.countPredicate(pos);
      return this.noChainedComparison({ kind: 'in', negated, operand, list, pos });
    }
    if (this.isKeyword(op, 'BETWEEN')) {
      this.next();
      const low = this.parseOperand();
      const and = this.next();
      if (!this.isKeyword(and, 'AND')) throw this.unexpected(and, 'expected AND in BETWEEN');
      const high = this.parseOperand();
      this.countPredicate(pos);
      return this.noChainedComparison({ kind: 'between', negated, operand, low, high, pos });
    }
    if (this.isKeyword(op, 'IS')) {
      this.next();
      let isNegated = false;
      if (this.isKeyword(this.peek(), 'NOT')) {
        this.next();
        isNegated = true;
      }
      const nul = this.next();
      if (!this.isKeyword(nul, 'NULL')) throw this.unexpected(nul, 'expected NULL after IS');
      this.countPredicate(pos);
      return this.noChainedComparison({ kind: 'isNull', negated: isNegated, operand, pos });
    }
    // A bare operand is a predicate only if it turns out to be boolean (checked by the resolver).
    if (operand.kind !== 'paren') this.countPredicate(pos);
    return operand;
  }

  /** GoogleSQL comparisons do not chain: `a = b = c` is a syntax error. */
  private noChainedComparison(expr: Expr): Expr {
    const t = this.peek();
    const comparisonStart =
      (t.kind === 'punct' && ['=', '!=', '<>', '<', '<=', '>', '>='].includes(t.text)) ||
      (t.kind === 'keyword' && ['LIKE', 'IN', 'BETWEEN', 'IS'].includes(t.word)) ||
      (this.isKeyword(t, 'NOT') && ['LIKE', 'IN', 'BETWEEN'].some((w) => this.isKeyword(this.peek(1), w as Keyword)));
    if (comparisonStart) throw this.unexpected(t, 'comparisons cannot be chained; use parentheses and AND');
    return expr;
  }

  private parseInList(operand: Expr): Expr[] {
    const open = this.peek();
    if (!this.isPunct(open, '(')) {
      const enumLike =
        operand.kind === 'path' && ['state', 'last_known_state', 'type'].includes(operand.segments[operand.segments.length - 1].text);
      const got = describeToken(open);
      throw filterError(
        enumLike
          ? `Expected a list of enum values enclosed in parentheses but got ${got}`
          : `expected a parenthesised list of values after IN but got ${got}`,
        open.pos,
      );
    }
    this.next();
    const list: Expr[] = [];
    for (;;) {
      const element = this.parseOperand();
      list.push(element);
      if (++this.listValues > PARSE_LIMITS.maxListValues) {
        throw filterError(`the filter lists more than ${PARSE_LIMITS.maxListValues} values`, element.pos);
      }
      const t = this.next();
      if (this.isPunct(t, ')')) return list;
      if (!this.isPunct(t, ',')) throw this.unexpected(t, "expected ',' or ')' in the IN list");
    }
  }

  /** A value: literal, signed number, name, or parenthesised expression. */
  private parseOperand(): Expr {
    const t = this.next();
    let result: Expr;
    switch (t.kind) {
      case 'int':
        result = { kind: 'literal', value: intLiteral(t.value, false, t), pos: t.pos };
        break;
      case 'double':
        result = { kind: 'literal', value: { type: 'double', value: t.value }, pos: t.pos };
        break;
      case 'string':
        result = { kind: 'literal', value: { type: 'string', value: t.value }, pos: t.pos };
        break;
      case 'keyword':
        if (t.word === 'TRUE' || t.word === 'FALSE') {
          result = { kind: 'literal', value: { type: 'bool', value: t.word === 'TRUE' }, pos: t.pos };
        } else if (t.word === 'NULL') {
          result = { kind: 'literal', value: { type: 'null' }, pos: t.pos };
        } else {
          throw this.unexpected(t);
        }
        break;
      case 'path': {
        if (this.isPunct(this.peek(), '(')) {
          throw filterError(`function calls are not supported: ${t.segments.map((s) => s.text).join('.')}`, t.pos);
        }
        result = { kind: 'path', segments: t.segments, pos: t.pos };
        break;
      }
      case 'punct':
        if (t.text === '(') {
          this.enter(t.pos);
          const inner = this.parseOr();
          this.depth--;
          this.expectPunct(')', 'to close the parenthesis');
          result = { kind: 'paren', inner, pos: t.pos };
        } else if (t.text === '-' || t.text === '+') {
          const n = this.next();
          if (n.kind === 'int') {
            result = { kind: 'literal', value: intLiteral(n.value, t.text === '-', n), pos: t.pos };
          } else if (n.kind === 'double') {
            result = { kind: 'literal', value: { type: 'double', value: t.text === '-' ? -n.value : n.value }, pos: t.pos };
          } else {
            throw filterError(`a sign is only supported directly before a number literal, not before ${describeToken(n)}`, n.pos);
          }
        } else {
          throw this.unexpected(t);
        }
        break;
      default:
        throw this.unexpected(t);
    }
    const after = this.peek();
    if (after.kind === 'punct' && ['+', '-', '*', '/'].includes(after.text)) {
      throw filterError(`arithmetic operators are not supported: ${after.text}`, after.pos);
    }
    return result;
  }

  private unexpected(t: Token, hint?: string) {
    const what = t.kind === 'eof' ? 'unexpected end of filter' : `unexpected ${describeToken(t)}`;
    return filterError(`Syntax error: ${what}${hint ? ` (${hint})` : ''}`, t.pos);
  }
}

function intLiteral(magnitude: bigint, negative: boolean, t: Token & { text: string }): LiteralValue {
  const value = negative ? -magnitude : magnitude;
  if (value > INT64_MAX || value < -INT64_MAX - 1n) {
    throw filterError(`Invalid integer literal: ${negative ? '-' : ''}${t.text}`, t.pos);
  }
  return { type: 'int', value };
}

export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of filter';
    case 'keyword':
      return `keyword ${t.word}`;
    case 'punct':
      return `"${t.text}"`;
    case 'path':
      return `name ${JSON.stringify(t.segments.map((s) => (s.quoted ? `\`${s.text}\`` : s.text)).join('.'))}`;
    case 'int':
    case 'double':
      return `number ${t.text}`;
    case 'string':
      return `string literal ${JSON.stringify(t.value.length > 30 ? `${t.value.slice(0, 30)}…` : t.value)}`;
  }
}
