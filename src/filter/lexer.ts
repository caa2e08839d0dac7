import type { PathSegment, Position } from './ast';
import { filterError, quoteForMessage } from './filter_error';

/**
 * Tokens of the filter_query language, a subset of GoogleSQL expression syntax.
 *
 * Dotted names are lexed as ONE token (`path`) because a segment after a dot follows different
 * rules than a leading identifier: `properties.0.int_value` has a segment that looks like a
 * number, and `` properties.`my:prop`.int_value `` a backquoted one. No whitespace is allowed
 * around the dots, matching the patterns upstream recognises.
 */
export type Token =
  | { kind: 'path'; segments: PathSegment[]; pos: Position; end: number }
  /** Magnitude only; a leading '-' is a separate token the parser folds in. */
  | { kind: 'int'; value: bigint; text: string; pos: Position; end: number }
  | { kind: 'double'; value: number; text: string; pos: Position; end: number }
  | { kind: 'string'; value: string; pos: Position; end: number }
  | { kind: 'keyword'; word: Keyword; pos: Position; end: number }
  | { kind: 'punct'; text: Punct; pos: Position; end: number }
  | { kind: 'eof'; pos: Position; end: number };

export const KEYWORDS = ['AND', 'OR', 'NOT', 'LIKE', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE', 'BETWEEN'] as const;
export type Keyword = (typeof KEYWORDS)[number];
const KEYWORD_SET = new Set<string>(KEYWORDS);

export type Punct = '(' | ')' | ',' | '=' | '!=' | '<>' | '<' | '<=' | '>' | '>=' | '-' | '+' | '*' | '/';

/** Longer filters are refused outright rather than lexed; no real client comes close. */
export const MAX_FILTER_LENGTH = 1 << 20;

const isIdentStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isDigit = (c: string) => c >= '0' && c <= '9';
const isWordChar = (c: string) => isIdentStart(c) || isDigit(c);
const isHex = (c: string) => isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '?': '?',
  '"': '"',
  "'": "'",
  '`': '`',
};

export function tokenize(text: string): Token[] {
  return new Lexer(text).run();
}

class Lexer {
  private i = 0;
  private readonly tokens: Token[] = [];
  private readonly lineStarts: number[] = [0];

  constructor(private readonly text: string) {
    if (text.length > MAX_FILTER_LENGTH) {
      throw filterError(`the filter is longer than ${MAX_FILTER_LENGTH} characters`);
    }
    for (let k = 0; k < text.length; k++) {
      const c = text[k];
      if (c === '\n' || (c === '\r' && text[k + 1] !== '\n')) this.lineStarts.push(k + 1);
    }
  }

  position(offset: number): Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, line: lo + 1, column: offset - this.lineStarts[lo] + 1 };
  }

  run(): Token[] {
    const t = this.text;
    for (;;) {
      this.skipSpaceAndComments();
      const start = this.i;
      if (start >= t.length) {
        this.tokens.push({ kind: 'eof', pos: this.position(start), end: start });
        return this.tokens;
      }
      const c = t[start];
      if (isIdentStart(c) || c === '`') {
        this.lexWordOrPath();
      } else if (isDigit(c) || (c === '.' && isDigit(t[start + 1] ?? ''))) {
        this.lexNumber();
      } else if (c === "'" || c === '"') {
        this.lexString(start, false);
      } else {
        this.lexPunct();
      }
    }
  }

  private skipSpaceAndComments(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
        this.i++;
      } else if (c === '#' || (c === '-' && t[this.i + 1] === '-')) {
        while (this.i < t.length && t[this.i] !== '\n' && t[this.i] !== '\r') this.i++;
      } else if (c === '/' && t[this.i + 1] === '*') {
        const close = t.indexOf('*/', this.i + 2);
        if (close < 0) throw filterError('unterminated comment', this.position(this.i));
        this.i = close + 2;
      } else {
        return;
      }
    }
  }

  private lexWordOrPath(): void {
    const t = this.text;
    const start = this.i;
    const segments: PathSegment[] = [this.lexSegment(true)];
    const first = segments[0];
    // String prefixes: r'..' raw, b'..' bytes (and combinations) are GoogleSQL literal forms.
    if (!first.quoted && (t[this.i] === "'" || t[this.i] === '"') && /^(r|b|rb|br)$/i.test(first.text)) {
      if (/b/i.test(first.text)) throw filterError('bytes literals are not supported', first.pos);
      this.lexString(start, true);
      return;
    }
    while (t[this.i] === '.') {
      const dot = this.i;
      this.i++;
      const c = t[this.i] ?? '';
      if (!isWordChar(c) && c !== '`') {
        throw filterError(`expected a name after '.' but got ${describeChar(c)}`, this.position(dot));
      }
      segments.push(this.lexSegment(false));
    }
    const pos = this.position(start);
    if (segments.length === 1 && !first.quoted && KEYWORD_SET.has(first.text.toUpperCase())) {
      this.tokens.push({ kind: 'keyword', word: first.text.toUpperCase() as Keyword, pos, end: this.i });
      return;
    }
    this.tokens.push({ kind: 'path', segments, pos, end: this.i });
  }

  /** A leading segment must start like an identifier; later ones may be all digits. */
  private lexSegment(leading: boolean): PathSegment {
    const t = this.text;
    const start = this.i;
    if (t[start] === '`') {
      const close = t.indexOf('`', start + 1);
      if (close < 0) throw filterError('unterminated backquoted name', this.position(start));
      const name = t.slice(start + 1, close);
      if (name.length === 0) throw filterError('empty backquoted name', this.position(start));
      checkLiteralText(name, this.position(start));
      this.i = close + 1;
      return { text: name, quoted: true, pos: this.position(start) };
    }
    if (leading && !isIdentStart(t[start])) throw filterError('expected a name', this.position(start));
    while (this.i < t.length && isWordChar(t[this.i])) this.i++;
    return { text: t.slice(start, this.i), quoted: false, pos: this.position(start) };
  }

  private lexNumber(): void {
    const t = this.text;
    const start = this.i;
    let isDouble = false;
    if (t[start] === '0' && (t[start + 1] === 'x' || t[start + 1] === 'X')) {
      this.i += 2;
      while (this.i < t.length && isHex(t[this.i])) this.i++;
      if (this.i === start + 2) throw filterError('invalid hexadecimal literal', this.position(start));
    } else {
      while (isDigit(t[this.i] ?? '')) this.i++;
      if (t[this.i] === '.') {
        isDouble = true;
        this.i++;
        while (isDigit(t[this.i] ?? '')) this.i++;
      }
      if (t[this.i] === 'e' || t[this.i] === 'E') {
        isDouble = true;
        this.i++;
        if (t[this.i] === '+' || t[this.i] === '-') this.i++;
        const digits = this.i;
        while (isDigit(t[this.i] ?? '')) this.i++;
        if (this.i === digits) throw filterError('invalid floating point literal', this.position(start));
      }
    }
    const raw = t.slice(start, this.i);
    if (isWordChar(t[this.i] ?? '') || t[this.i] === '`') {
      throw filterError(`invalid number literal ${quoteForMessage(t.slice(start, this.i + 1))}`, this.position(start));
    }
    const pos = this.position(start);
    if (isDouble) {
      const value = Number(raw);
      if (!Number.isFinite(value)) throw filterError(`floating point literal out of range: ${raw}`, pos);
      this.tokens.push({ kind: 'double', value, text: raw, pos, end: this.i });
    } else {
      this.tokens.push({ kind: 'int', value: BigInt(raw), text: raw, pos, end: this.i });
    }
  }

  /** `this.i` is at the opening quote; `tokenStart` includes any r/b prefix. */
  private lexString(tokenStart: number, raw: boolean): void {
    const t = this.text;
    const q = t[this.i];
    const triple = t[this.i + 1] === q && t[this.i + 2] === q;
    const open = this.i;
    this.i += triple ? 3 : 1;
    let value = '';
    for (;;) {
      if (this.i >= t.length) throw filterError('unterminated string literal', this.position(open));
      const c = t[this.i];
      if (c === q && (!triple || (t[this.i + 1] === q && t[this.i + 2] === q))) {
        this.i += triple ? 3 : 1;
        break;
      }
      if (!triple && (c === '\n' || c === '\r')) {
        throw filterError('unterminated string literal (a quoted string cannot span lines)', this.position(open));
      }
      if (c === '\\') {
        if (this.i + 1 >= t.length) throw filterError('unterminated string literal', this.position(open));
        if (raw) {
          // Raw strings keep the backslash; it only stops the next character ending the string.
          value += t.slice(this.i, this.i + 2);
          this.i += 2;
        } else {
          value += this.lexEscape();
        }
        continue;
      }
      value += c;
      this.i++;
    }
    checkLiteralText(value, this.position(tokenStart));
    this.tokens.push({ kind: 'string', value, pos: this.position(tokenStart), end: this.i });
  }

  private lexEscape(): string {
    const t = this.text;
    const at = this.i;
    const c = t[at + 1];
    if (c in SIMPLE_ESCAPES) {
      this.i += 2;
      return SIMPLE_ESCAPES[c];
    }
    const digits = (count: number, ok: (ch: string) => boolean, from: number): string => {
      const s = t.slice(from, from + count);
      if (s.length !== count || ![...s].every(ok)) {
        throw filterError(`illegal escape sequence ${quoteForMessage(t.slice(at, from + count))}`, this.position(at));
      }
      return s;
    };
    let codePoint: number;
    if (c >= '0' && c <= '7') {
      codePoint = parseInt(digits(3, (ch) => ch >= '0' && ch <= '7', at + 1), 8);
      this.i = at + 4;
    } else if (c === 'x' || c === 'X') {
      codePoint = parseInt(digits(2, isHex, at + 2), 16);
      this.i = at + 4;
    } else if (c === 'u') {
      codePoint = parseInt(digits(4, isHex, at + 2), 16);
      this.i = at + 6;
    } else if (c === 'U') {
      codePoint = parseInt(digits(8, isHex, at + 2), 16);
      this.i = at + 10;
    } else {
      throw filterError(`illegal escape sequence ${quoteForMessage(t.slice(at, at + 2))}`, this.position(at));
    }
    if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
      throw filterError(`illegal escape sequence: invalid code point ${quoteForMessage(t.slice(at, this.i))}`, this.position(at));
    }
    return String.fromCodePoint(codePoint);
  }

  private lexPunct(): void {
    const t = this.text;
    const start = this.i;
    const two = t.slice(start, start + 2);
    const pos = this.position(start);
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      this.i += 2;
      this.tokens.push({ kind: 'punct', text: two, pos, end: this.i });
      return;
    }
    const c = t[start];
    if ('(),=<>-+*/'.includes(c)) {
      this.i += 1;
      this.tokens.push({ kind: 'punct', text: c as Punct, pos, end: this.i });
      return;
    }
    throw filterError(`unexpected character ${describeChar(c)}`, pos);
  }
}

/**
 * Literal text must survive every backend: PostgreSQL text cannot hold NUL, and a lone UTF-16
 * surrogate has no UTF-8 encoding.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkLiteralText(value: string, pos: Position): void {
  if (value.includes('\0')) throw filterError('string literals cannot contain NUL characters', pos);
  if (LONE_SURROGATE.test(value)) throw filterError('literal text is not valid Unicode', pos);
}

function describeChar(c: string): string {
  if (c === '') return 'end of input';
  const cp = c.codePointAt(0)!;
  return cp < 0x20 || cp === 0x7f ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : quoteForMessage(c);
}
