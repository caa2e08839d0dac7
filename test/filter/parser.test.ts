import { describe, expect, it } from 'vitest';
import type { Expr } from '../../src/filter/ast';
import { tokenize } from '../../src/filter/lexer';
import { parseFilter, PARSE_LIMITS } from '../../src/filter/parser';
import { MlmdError, StatusCode } from '../../src/errors';

/** A compact rendering of the syntax tree, so expectations read like the filter. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'or':
    case 'and':
      return `(${e.operands.map(show).join(` ${e.kind.toUpperCase()} `)})`;
    case 'not':
      return `(NOT ${show(e.operand)})`;
    case 'compare':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'like':
      return `(${show(e.operand)} ${e.negated ? 'NOT ' : ''}LIKE ${show(e.pattern)})`;
    case 'in':
      return `(${show(e.operand)} ${e.negated ? 'NOT ' : ''}IN [${e.list.map(show).join(', ')}])`;
    case 'between':
      return `(${show(e.operand)} ${e.negated ? 'NOT ' : ''}BETWEEN ${show(e.low)} ${show(e.high)})`;
    case 'isNull':
      return `(${show(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
    case 'path':
      return e.segments.map((s) => (s.quoted ? `{${s.text}}` : s.text)).join('.');
    case 'paren':
      return show(e.inner);
    case 'literal': {
      const v = e.value;
      if (v.type === 'null') return 'NULL';
      if (v.type === 'string') return JSON.stringify(v.value);
      if (v.type === 'int') return `${v.value}i`;
      if (v.type === 'double') return `${v.value}d`;
      return String(v.value).toUpperCase();
    }
  }
}

const parse = (text: string) => show(parseFilter(text));

function errorOf(text: string): MlmdError {
  try {
    parseFilter(text);
  } catch (e) {
    expect(e).toBeInstanceOf(MlmdError);
    expect((e as MlmdError).code).toBe(StatusCode.INVALID_ARGUMENT);
    return e as MlmdError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('lexer', () => {
  it('lexes dotted paths as one token, with numeric and backquoted segments', () => {
    const [t] = tokenize('properties.`my:custom.property`.bool_value');
    expect(t.kind).toBe('path');
    expect(t.kind === 'path' && t.segments.map((s) => [s.text, s.quoted])).toEqual([
      ['properties', false],
      ['my:custom.property', true],
      ['bool_value', false],
    ]);
    const [n] = tokenize('properties.0.int_value');
    expect(n.kind === 'path' && n.segments.map((s) => s.text)).toEqual(['properties', '0', 'int_value']);
  });

  it('reads integers exactly, including int64 extremes and hex', () => {
    expect(parse('id = 9223372036854775807')).toBe('(id = 9223372036854775807i)');
    expect(parse('id = -9223372036854775808')).toBe('(id = -9223372036854775808i)');
    expect(parse('id = 0x1F')).toBe('(id = 31i)');
    expect(errorOf('id = 9223372036854775808').message).toMatch(/Invalid integer literal/);
    expect(errorOf('id = -9223372036854775809').message).toMatch(/Invalid integer literal/);
  });

  it('reads doubles in every GoogleSQL form', () => {
    expect(parse('x = 1.5')).toBe('(x = 1.5d)');
    expect(parse('x = .5')).toBe('(x = 0.5d)');
    expect(parse('x = 1.')).toBe('(x = 1d)');
    expect(parse('x = 1e3')).toBe('(x = 1000d)');
    expect(parse('x = -2.5E-1')).toBe('(x = -0.25d)');
    expect(errorOf('x = 1e').message).toMatch(/floating point/);
    expect(errorOf('x = 1e999').message).toMatch(/out of range/);
    expect(errorOf('x = 12abc').message).toMatch(/invalid number literal/);
  });

  it('reads single-, double-, triple-quoted and raw strings with escapes', () => {
    expect(parse(`name = 'it\\'s'`)).toBe(`(name = "it's")`);
    expect(parse(`name = "exe_name_with_'"`)).toBe(`(name = "exe_name_with_'")`);
    expect(parse(`name = 'a\\nb\\t\\\\\\x41\\u00e9\\U0001F600\\101'`)).toBe(`(name = ${JSON.stringify('a\nb\t\\Aé😀A')})`);
    expect(parse(`name = '''multi\nline ' "'''`)).toBe(`(name = ${JSON.stringify(`multi\nline ' "`)})`);
    expect(parse(`name = r'raw\\n'`)).toBe(`(name = ${JSON.stringify('raw\\n')})`);
    expect(parse(`name = R"a\\"b"`)).toBe(`(name = ${JSON.stringify('a\\"b')})`);
    expect(parse(`name = 'ünï €'`)).toBe(`(name = "ünï €")`);
  });

  it('rejects broken strings with the position of the literal', () => {
    // MUST (C++ GetExecutionFilterWithSpecialChars): the doubled quote is not an escape.
    const e = errorOf(`name = 'x''`);
    expect(e.message).toMatch(/unterminated string literal at line 1, column 11 \(offset 10\)/);
    expect(errorOf(`name = 'a\\qb'`).message).toMatch(/illegal escape sequence "\\\\q" at line 1, column 10/);
    expect(errorOf(`name = 'a\nb'`).message).toMatch(/cannot span lines/);
    expect(errorOf(`name = '\\x0'`).message).toMatch(/illegal escape/);
    expect(errorOf(`name = '\\uD800'`).message).toMatch(/invalid code point/);
    expect(errorOf(`name = '\\x00'`).message).toMatch(/NUL/);
    expect(errorOf(`name = b'bytes'`).message).toMatch(/bytes literals/);
  });

  it('skips comments and reports unterminated ones', () => {
    expect(parse('id = 1 -- trailing\n AND # hash comment\n /* block */ id = 2')).toBe('((id = 1i) AND (id = 2i))');
    expect(errorOf('id = 1 /* never closed').message).toMatch(/unterminated comment at line 1, column 8/);
  });

  it('names the line and column of errors on later lines', () => {
    const e = errorOf('id = 1\nAND\n  name ; 2');
    expect(e.message).toMatch(/unexpected character ";" at line 3, column 8 \(offset 18\)/);
  });

  it('rejects characters outside the language', () => {
    for (const text of ['id = 1;', 'id = [1]', 'id == 1', 'a.b. = 1', 'id = 1 & 2', 'id = @p', '!id']) {
      expect(errorOf(text).message).toMatch(/Invalid `filter_query`/);
    }
  });
});

describe('parser', () => {
  it('gives NOT > AND > OR precedence', () => {
    expect(parse('a = 1 OR b = 2 AND NOT c = 3')).toBe('((a = 1i) OR ((b = 2i) AND (NOT (c = 3i))))');
    expect(parse('(a = 1 OR b = 2) AND c = 3')).toBe('(((a = 1i) OR (b = 2i)) AND (c = 3i))');
    expect(parse('NOT(create_time_since_epoch < 1 OR last_update_time_since_epoch < 1)')).toBe(
      '(NOT ((create_time_since_epoch < 1i) OR (last_update_time_since_epoch < 1i)))',
    );
  });

  it('accepts keywords in any case', () => {
    expect(parse('a = TRUE and b like "x%" Or c is not null')).toBe('(((a = TRUE) AND (b LIKE "x%")) OR (c IS NOT NULL))');
    expect(parse('a = false')).toBe('(a = FALSE)');
  });

  it('parses every operator', () => {
    expect(parse('a != 1')).toBe('(a != 1i)');
    expect(parse('a <> 1')).toBe('(a != 1i)');
    for (const op of ['<', '<=', '>', '>=', '=']) expect(parse(`a ${op} 1`)).toBe(`(a ${op} 1i)`);
    expect(parse("a NOT LIKE 'x'")).toBe('(a NOT LIKE "x")');
    expect(parse('a IN (1, 2,3)')).toBe('(a IN [1i, 2i, 3i])');
    expect(parse('a not in (1)')).toBe('(a NOT IN [1i])');
    expect(parse('a BETWEEN 1 AND 5 AND b = 2')).toBe('((a BETWEEN 1i 5i) AND (b = 2i))');
    expect(parse('a NOT BETWEEN -1 AND 5.5')).toBe('(a NOT BETWEEN -1i 5.5d)');
    expect(parse('a IS NULL')).toBe('(a IS NULL)');
    expect(parse('custom_properties.flag.bool_value')).toBe('custom_properties.flag.bool_value');
    expect(parse('(id) = 1')).toBe('(id = 1i)');
    expect(parse('state IN (LIVE, PENDING)')).toBe('(state IN [LIVE, PENDING])');
  });

  it('keeps backquoted segments apart from plain ones', () => {
    expect(parse('properties.`my property`.int_value > 0')).toBe('(properties.{my property}.int_value > 0i)');
    expect(parse("contexts_0.name = 'properties.component.component'")).toBe(
      '(contexts_0.name = "properties.component.component")',
    );
  });

  it.each([
    ['invalid syntax', /unexpected name "syntax" at line 1, column 9/],
    ['', /empty/],
    ['   ', /empty at line 1, column 4/],
    ['id =', /unexpected end of filter/],
    ['id = 1 AND', /unexpected end of filter/],
    ['(id = 1', /expected '\)'/],
    ['id = 1)', /unbalanced parenthesis/],
    ['a = b = c', /cannot be chained/],
    ['a IN ()', /unexpected "\)"/],
    ['state IN RUNNING', /Expected a list of enum values enclosed in parentheses but got name "RUNNING"/],
    ['id = 1 + 2', /arithmetic operators are not supported/],
    ['-id = 1', /a sign is only supported directly before a number/],
    ["STARTS_WITH(name, 'a')", /function calls are not supported: STARTS_WITH/],
    ['id IN (SELECT 1)', /unexpected number 1 \(expected ',' or '\)' in the IN list\)/],
    ['a IS TRUE', /expected NULL after IS/],
    ['a NOT = 1', /expected LIKE, IN or BETWEEN after NOT/],
    ['a BETWEEN 1 OR 2', /expected AND in BETWEEN/],
    ['contexts_a. name = 1', /expected a name after '.'/],
    ['properties.``.int_value = 1', /empty backquoted name/],
    ['properties.`x.int_value = 1', /unterminated backquoted name/],
  ])('rejects %j', (text, message) => {
    expect(errorOf(text).message).toMatch(message);
  });

  it('bounds nesting, predicates and list sizes instead of exhausting the stack', () => {
    const deep = `${'('.repeat(PARSE_LIMITS.maxDepth + 1)}id = 1${')'.repeat(PARSE_LIMITS.maxDepth + 1)}`;
    expect(errorOf(deep).message).toMatch(/nests deeper/);
    expect(errorOf(`${'NOT '.repeat(100_000)}id = 1`).message).toMatch(/nests deeper/);
    expect(errorOf('('.repeat(1_000_000)).message).toMatch(/nests deeper/);
    const ok = `${'('.repeat(PARSE_LIMITS.maxDepth)}id = 1${')'.repeat(PARSE_LIMITS.maxDepth)}`;
    expect(parse(ok)).toBe('(id = 1i)');
    const many = Array.from({ length: PARSE_LIMITS.maxPredicates + 1 }, (_, i) => `id = ${i}`).join(' OR ');
    expect(errorOf(many).message).toMatch(/more than 1000 predicates/);
    const list = `id IN (${Array.from({ length: PARSE_LIMITS.maxListValues + 1 }, (_, i) => i).join(',')})`;
    expect(errorOf(list).message).toMatch(/lists more than/);
  });
});
