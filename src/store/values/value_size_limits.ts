import type { ColumnKind } from '../../repositories/column_limits';
import { columnLimit, dialectName } from '../../repositories/column_limits';
import type { Tx } from '../../database/database';

type Dialect = Tx['dialect'];
import { Any } from '../../generated/google/protobuf/any';
import { Struct } from '../../generated/google/protobuf/struct';
import { invalidArgument } from '../../errors';
import { STRUCT_PREFIX } from '../../repositories/property_value_codec';

/** Request fields, by their ts-proto names, and the column each is stored in. */
const STRING_FIELDS: Record<string, ColumnKind> = {
  name: 'short_text',
  version: 'short_text',
  externalId: 'short_text',
  uri: 'text',
  description: 'text',
  key: 'text',
};

const PROPERTY_MAPS = new Set(['properties', 'customProperties']);

/** The request's field names in proto spelling, for messages clients can map to their code. */
function protoName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Rejects, before any SQL, a write whose value is larger than its column holds on this
 * database: INVALID_ARGUMENT naming the field and the limit. Without it MySQL either refuses
 * the value deep in the transaction or, for a statement over max_allowed_packet, closes the
 * connection, which a client would see as a retryable outage and repeat forever.
 * Only the dialect's finite limits are checked; the walk skips strings too short to matter.
 */
export function checkValueSizes(dialect: Dialect, request: unknown): void {
  if (dialect === 'sqlite') return;
  walk(dialect, request, '', 0);
}

function walk(dialect: Dialect, node: unknown, path: string, depth: number): void {
  if (node === null || typeof node !== 'object' || depth > 8 || node instanceof Uint8Array) return;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) walk(dialect, node[i], `${path}[${i}]`, depth + 1);
    return;
  }
  for (const [field, value] of Object.entries(node as Record<string, unknown>)) {
    const where = path ? `${path}.${protoName(field)}` : protoName(field);
    if (typeof value === 'string') {
      const kind = STRING_FIELDS[field];
      if (kind) checkString(dialect, kind, value, where);
    } else if (PROPERTY_MAPS.has(field) && value && typeof value === 'object') {
      for (const [name, propertyValue] of Object.entries(value as Record<string, unknown>)) {
        const at = `${where}["${name.length > 40 ? `${name.slice(0, 40)}…` : name}"]`;
        checkString(dialect, 'short_text', name, `${at} (property name)`);
        checkPropertyValue(dialect, propertyValue, at);
      }
    } else if (value && typeof value === 'object') {
      walk(dialect, value, where, depth + 1);
    }
  }
}

function checkPropertyValue(dialect: Dialect, value: unknown, where: string): void {
  if (!value || typeof value !== 'object') return;
  const v = value as { stringValue?: string; structValue?: { [key: string]: unknown }; protoValue?: Any };
  if (typeof v.stringValue === 'string') checkString(dialect, 'property_text', v.stringValue, `${where}.string_value`);
  // Stored as upstream does: base64 text (structs behind a prefix) in MySQL's columns.
  if (v.structValue && columnLimit(dialect, 'property_text')) {
    const bytes = Struct.encode(Struct.wrap(v.structValue)).finish().length;
    checkSize(dialect, 'property_text', STRUCT_PREFIX.length + base64Length(bytes), `${where}.struct_value`, 'serialized and base64-encoded');
  }
  if (v.protoValue && columnLimit(dialect, 'property_blob')) {
    const bytes = Any.encode(v.protoValue).finish().length;
    const stored = dialect === 'postgres' ? bytes : base64Length(bytes);
    checkSize(dialect, 'property_blob', stored, `${where}.proto_value`, dialect === 'postgres' ? 'serialized' : 'serialized and base64-encoded');
  }
}

function checkString(dialect: Dialect, kind: ColumnKind, value: string, where: string): void {
  const limit = columnLimit(dialect, kind);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: shorter strings cannot exceed the limit.
  if (!limit || value.length * 3 <= limit.max) return;
  const size = limit.unit === 'bytes' ? Buffer.byteLength(value, 'utf8') : [...value].length;
  checkSize(dialect, kind, size, where);
}

function checkSize(dialect: Dialect, kind: ColumnKind, size: number, where: string, encoding?: string): void {
  const limit = columnLimit(dialect, kind)!;
  if (size <= limit.max) return;
  throw invalidArgument(
    `${where} is too large for the metadata database: ${size.toLocaleString('en-US')} ${limit.unit}` +
      `${encoding ? ` ${encoding}` : ''}, and ${dialectName(dialect)} stores at most ` +
      `${limit.max.toLocaleString('en-US')} ${limit.unit} there (${limit.column}).`,
  );
}

function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}
