import { Enum, type Field, type Type } from 'protobufjs';

/**
 * A protobuf TEXT-format parser driven by protobufjs reflection (a Type loaded from the
 * .proto files). It turns text such as
 *
 *   connection_config { mysql { host: "db" port: 3306 } }  # comment
 *
 * into a JSON-like tree keyed by proto field names, with int64 values as decimal strings and
 * enum values as their names: exactly what ts-proto's `fromJSON` accepts. Every error names
 * the source, the line and the field.
 *
 * Supported: nested messages with or without ':' and with {} or <>; string literals in single
 * or double quotes with C escapes, adjacent literals concatenated; decimal/hex/octal integers;
 * floats incl. inf/nan; bools (true/false/t/f/True/False/1/0); enums by name or number;
 * repeated fields by repetition or `[a, b]` lists; ',' or ';' separators; '#' comments.
 * Not supported (rejected with a clear error): extensions `[pkg.ext]`, Any expansion, maps.
 */

export class TextFormatError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${source}:${line}: ${detail}`);
    this.name = 'TextFormatError';
  }
}

type TokenKind = 'ident' | 'number' | 'string' | 'symbol' | 'eof';
interface Token {
  kind: TokenKind;
  /** Raw text for ident/number/symbol; the decoded value for strings. */
  text: string;
  line: number;
}

export type TextValue = string | number | boolean | TextTree | TextValue[];
export interface TextTree {
  [field: string]: TextValue;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v',
  '\\': '\\', "'": "'", '"': '"', '?': '?',
};

class Lexer {
  private pos = 0;
  private line = 1;
  private peeked: Token | undefined;

  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  peek(): Token {
    return (this.peeked ??= this.read());
  }

  next(): Token {
    const token = this.peek();
    this.peeked = undefined;
    return token;
  }

  fail(line: number, detail: string): never {
    throw new TextFormatError(this.source, line, detail);
  }

  private read(): Token {
    this.skipSpaceAndComments();
    const { text } = this;
    const line = this.line;
    if (this.pos >= text.length) return { kind: 'eof', text: '', line };
    const c = text[this.pos];
    if (c === '"' || c === "'") return { kind: 'string', text: this.readString(c), line };
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(this.pos))!;
      this.pos += m[0].length;
      return { kind: 'ident', text: m[0], line };
    }
    if (/[0-9.]/.test(c) || ((c === '-' || c === '+') && /[0-9.]/.test(text[this.pos + 1] ?? ''))) {
      const m = /^[-+]?(0[xX][0-9A-Fa-f]+|(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?[fF]?)/.exec(text.slice(this.pos));
      if (!m) this.fail(line, `malformed number near '${text.slice(this.pos, this.pos + 10)}'`);
      this.pos += m[0].length;
      if (/^[A-Za-z_]/.test(text[this.pos] ?? '')) this.fail(line, `malformed number '${m[0]}${text[this.pos]}'`);
      return { kind: 'number', text: m[0], line };
    }
    if ('{}<>[]:,;-'.includes(c)) {
      this.pos++;
      return { kind: 'symbol', text: c, line };
    }
    this.fail(line, `unexpected character '${c}'`);
  }

  private skipSpaceAndComments(): void {
    const { text } = this;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === '\n') {
        this.line++;
        this.pos++;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
        this.pos++;
      } else if (c === '#') {
        while (this.pos < text.length && text[this.pos] !== '\n') this.pos++;
      } else {
        return;
      }
    }
  }

  /** Reads one quoted literal; escapes produce bytes, which are then decoded as UTF-8. */
  private readString(quote: string): string {
    const { text } = this;
    const line = this.line;
    const bytes: number[] = [];
    const pushText = (s: string) => bytes.push(...Buffer.from(s, 'utf8'));
    this.pos++; // opening quote
    for (;;) {
      if (this.pos >= text.length || text[this.pos] === '\n') this.fail(line, 'unterminated string literal');
      const c = text[this.pos];
      if (c === quote) {
        this.pos++;
        return Buffer.from(bytes).toString('utf8');
      }
      if (c !== '\\') {
        const cp = text.codePointAt(this.pos)!;
        const ch = String.fromCodePoint(cp);
        pushText(ch);
        this.pos += ch.length;
        continue;
      }
      const e = text[this.pos + 1];
      if (e === undefined) this.fail(line, 'unterminated string literal');
      if (e in SIMPLE_ESCAPES) {
        pushText(SIMPLE_ESCAPES[e]);
        this.pos += 2;
      } else if (/[0-7]/.test(e)) {
        const m = /^[0-7]{1,3}/.exec(text.slice(this.pos + 1))!;
        const value = parseInt(m[0], 8);
        if (value > 255) this.fail(line, `octal escape \\${m[0]} is out of range`);
        bytes.push(value);
        this.pos += 1 + m[0].length;
      } else if (e === 'x' || e === 'X') {
        const m = /^[0-9A-Fa-f]{1,2}/.exec(text.slice(this.pos + 2));
        if (!m) this.fail(line, 'malformed \\x escape');
        bytes.push(parseInt(m[0], 16));
        this.pos += 2 + m[0].length;
      } else if (e === 'u' || e === 'U') {
        const digits = e === 'u' ? 4 : 8;
        const hex = text.slice(this.pos + 2, this.pos + 2 + digits);
        if (!new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(hex)) this.fail(line, `malformed \\${e} escape`);
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) this.fail(line, `\\${e}${hex} is not a Unicode code point`);
        pushText(String.fromCodePoint(cp));
        this.pos += 2 + digits;
      } else {
        this.fail(line, `unknown escape sequence \\${e}`);
      }
    }
  }
}

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const IS_64_BIT = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

class Parser {
  constructor(private readonly lex: Lexer) {}

  /** Fields of `type` until `end` (a closing bracket, or eof for the top level). */
  parseFields(type: Type, end: string | undefined): TextTree {
    const tree: TextTree = {};
    const oneofMember = new Map<string, string>();
    for (;;) {
      const token = this.lex.peek();
      if (end === undefined ? token.kind === 'eof' : token.kind === 'symbol' && token.text === end) {
        this.lex.next();
        return tree;
      }
      if (token.kind === 'eof') this.lex.fail(token.line, `missing '${end}' to close ${type.name}`);
      if (token.kind === 'symbol' && token.text === '[') {
        this.lex.fail(token.line, 'extension and Any fields ([...]) are not supported here');
      }
      if (token.kind !== 'ident') this.lex.fail(token.line, `expected a field name of ${type.name}, found '${token.text}'`);
      this.lex.next();
      const field = type.fields[token.text];
      if (!field) this.lex.fail(token.line, `message ${type.name} has no field named "${token.text}"`);
      if (field.map) this.lex.fail(token.line, `map field "${field.name}" is not supported here`);
      if (!field.repeated && field.name in tree) {
        this.lex.fail(token.line, `non-repeated field "${field.name}" is specified more than once`);
      }
      const oneof = field.partOf;
      if (oneof) {
        const other = oneofMember.get(oneof.name);
        if (other !== undefined && other !== field.name) {
          this.lex.fail(token.line, `fields "${other}" and "${field.name}" are both set, but only one of oneof "${oneof.name}" may be`);
        }
        oneofMember.set(oneof.name, field.name);
      }
      const values = this.parseFieldValue(field);
      if (field.repeated) {
        const list = (tree[field.name] ??= []) as TextValue[];
        list.push(...values);
      } else {
        tree[field.name] = values[0];
      }
      const sep = this.lex.peek();
      if (sep.kind === 'symbol' && (sep.text === ',' || sep.text === ';')) this.lex.next();
    }
  }

  /** One `: value`, `: [v, ...]` or `{ ... }`; returns the value(s) read. */
  private parseFieldValue(field: Field): TextValue[] {
    const isMessage = field.resolvedType !== null && !(field.resolvedType instanceof Enum);
    let token = this.lex.peek();
    const hadColon = token.kind === 'symbol' && token.text === ':';
    if (hadColon) {
      this.lex.next();
      token = this.lex.peek();
    }
    if (!hadColon && !isMessage) this.lex.fail(token.line, `expected ':' after field "${field.name}"`);
    if (token.kind === 'symbol' && token.text === '[') {
      if (!field.repeated) this.lex.fail(token.line, `field "${field.name}" is not repeated; a [list] is not allowed`);
      this.lex.next();
      const values: TextValue[] = [];
      const first = this.lex.peek();
      if (first.kind === 'symbol' && first.text === ']') {
        this.lex.next();
        return values;
      }
      for (;;) {
        values.push(this.parseSingleValue(field));
        const t = this.lex.next();
        if (t.kind === 'symbol' && t.text === ']') return values;
        if (!(t.kind === 'symbol' && t.text === ',')) this.lex.fail(t.line, `expected ',' or ']' in the list of field "${field.name}"`);
      }
    }
    return [this.parseSingleValue(field)];
  }

  private parseSingleValue(field: Field): TextValue {
    const token = this.lex.next();
    const resolved = field.resolvedType;
    if (resolved instanceof Enum) return this.parseEnum(field, resolved, token);
    if (resolved) {
      if (token.kind === 'symbol' && (token.text === '{' || token.text === '<')) {
        return this.parseFields(resolved, token.text === '{' ? '}' : '>');
      }
      this.lex.fail(token.line, `field "${field.name}" is a message; expected '{' but found '${token.text}'`);
    }
    switch (field.type) {
      case 'string':
      case 'bytes': {
        if (token.kind !== 'string') this.lex.fail(token.line, `field "${field.name}" expects a quoted string, found '${token.text}'`);
        let value = token.text;
        while (this.lex.peek().kind === 'string') value += this.lex.next().text;
        if (field.type === 'bytes') return Buffer.from(value, 'utf8').toString('base64');
        return value;
      }
      case 'bool': {
        const text = token.kind === 'ident' || token.kind === 'number' ? token.text : '';
        if (['true', 'True', 't', '1'].includes(text)) return true;
        if (['false', 'False', 'f', '0'].includes(text)) return false;
        this.lex.fail(token.line, `field "${field.name}" expects true or false, found '${token.text}'`);
      }
      // eslint-disable-next-line no-fallthrough
      case 'double':
      case 'float':
        return this.parseFloat(field, token);
      default: {
        const range = INTEGER_RANGES[field.type];
        if (!range) this.lex.fail(token.line, `field "${field.name}" has unsupported type ${field.type}`);
        const value = this.parseInteger(field, token);
        if (value < range[0] || value > range[1]) {
          this.lex.fail(token.line, `value ${value} is out of range for field "${field.name}" (${field.type})`);
        }
        return IS_64_BIT.has(field.type) ? value.toString() : Number(value);
      }
    }
  }

  private parseInteger(field: Field, first: Token): bigint {
    let token = first;
    let negative = false;
    if (token.kind === 'symbol' && token.text === '-') {
      negative = true;
      token = this.lex.next();
    }
    const text = token.text;
    const unsigned = text.replace(/^[-+]/, '');
    if (token.kind !== 'number' || !/^(0[xX][0-9A-Fa-f]+|0[0-7]*|[1-9]\d*)$/.test(unsigned)) {
      this.lex.fail(token.line, `field "${field.name}" expects an integer, found '${negative ? '-' : ''}${text}'`);
    }
    let value = /^0[0-7]+$/.test(unsigned) ? BigInt(`0o${unsigned.slice(1)}`) : BigInt(unsigned);
    if (text.startsWith('-')) value = -value;
    return negative ? -value : value;
  }

  private parseFloat(field: Field, first: Token): number | string {
    let token = first;
    let sign = 1;
    if (token.kind === 'symbol' && token.text === '-') {
      sign = -1;
      token = this.lex.next();
    }
    if (token.kind === 'ident') {
      const lower = token.text.toLowerCase();
      if (lower === 'inf' || lower === 'infinity') return sign > 0 ? 'Infinity' : '-Infinity';
      if (lower === 'nan') return 'NaN';
    }
    if (token.kind !== 'number' || /^[-+]?0[xX]/.test(token.text)) {
      this.lex.fail(token.line, `field "${field.name}" expects a number, found '${token.text}'`);
    }
    return sign * Number(token.text.replace(/[fF]$/, ''));
  }

  private parseEnum(field: Field, enumType: Enum, first: Token): string {
    const names = Object.keys(enumType.values);
    if (first.kind === 'ident') {
      if (names.includes(first.text)) return first.text;
    } else if (first.kind === 'number' || (first.kind === 'symbol' && first.text === '-')) {
      const n = Number(this.parseInteger(field, first));
      const name = enumType.valuesById[n];
      if (name !== undefined) return name;
    }
    this.lex.fail(
      first.line,
      `'${first.text}' is not a value of enum ${enumType.name} (field "${field.name}"; expected one of ${names.join(', ')})`,
    );
  }
}

/**
 * Parses `text` as a text-format message of `type` (resolved: call `root.resolveAll()`
 * first). `source` names the input in error messages, usually the file path.
 */
export function parseTextFormat(text: string, type: Type, source = '<text>'): TextTree {
  return new Parser(new Lexer(text, source)).parseFields(type, undefined);
}
