import type { Dialect } from '../database/config';
import { Any } from '../generated/google/protobuf/any';
import { Struct } from '../generated/google/protobuf/struct';
import type { Value } from '../generated/ml_metadata/proto/metadata_store';
import { internal, invalidArgument } from '../errors';

/** The prefix upstream puts before the base64 of a serialized Struct in `string_value`. */
export const STRUCT_PREFIX = 'mlmd-struct::';

/** The value columns of a `<Node>Property` row; exactly one is non-NULL for rows we write. */
export interface PropertyValueColumns {
  int_value: bigint | string | null;
  double_value: number | null;
  string_value: string | null;
  proto_value: string | Uint8Array | null;
  bool_value: boolean | number | null;
}

/** A property row's value columns as the drivers hand them back (int_value selected as text). */
export interface StoredValueColumns {
  int_value: string | number | bigint | null;
  double_value: number | string | null;
  string_value: string | null;
  proto_value: string | Buffer | Uint8Array | null;
  bool_value: boolean | number | string | null;
}

export type ValueKind = 'int' | 'double' | 'string' | 'struct' | 'proto' | 'bool';

/**
 * Which oneof case a Value carries, or undefined for an empty Value. The generated type has
 * one optional field per case; the decoder sets at most one of them for well-formed input, and
 * we read them in field-number order so a malformed message still gets one answer.
 */
export function valueKind(value: Value | undefined): ValueKind | undefined {
  if (value === undefined) return undefined;
  if (value.intValue !== undefined) return 'int';
  if (value.doubleValue !== undefined) return 'double';
  if (value.stringValue !== undefined) return 'string';
  if (value.structValue !== undefined) return 'struct';
  if (value.protoValue !== undefined) return 'proto';
  if (value.boolValue !== undefined) return 'bool';
  return undefined;
}

const nullColumns = (): PropertyValueColumns => ({
  int_value: null,
  double_value: null,
  string_value: null,
  proto_value: null,
  bool_value: null,
});

/** Upstream's struct text: prefix + padded standard base64 of the serialized Struct. */
export function encodeStruct(struct: { [key: string]: unknown }): string {
  return STRUCT_PREFIX + Buffer.from(Struct.encode(Struct.wrap(struct)).finish()).toString('base64');
}

/**
 * The columns for one Value, encoded as upstream stores them on `dialect`, so upstream's
 * server reads rows we write. int64 is bound as text on MySQL/PostgreSQL (exact for every
 * int64; the column must be BIGINT, see the widening migration) and as bigint on SQLite.
 */
export function encodeValue(dialect: Dialect, value: Value): PropertyValueColumns {
  const columns = nullColumns();
  switch (valueKind(value)) {
    case 'int':
      columns.int_value = dialect === 'sqlite' ? BigInt.asIntN(64, value.intValue!) : BigInt.asIntN(64, value.intValue!).toString();
      break;
    case 'double':
      columns.double_value = value.doubleValue!;
      break;
    case 'string':
      columns.string_value = value.stringValue!;
      break;
    case 'struct':
      columns.string_value = encodeStruct(value.structValue!);
      break;
    case 'proto': {
      const bytes = Buffer.from(Any.encode(value.protoValue!).finish());
      // Upstream writes base64 text into the BLOB on MySQL and SQLite, and the raw bytes into
      // PostgreSQL's BYTEA (it binds decode('<base64>', 'base64') there).
      columns.proto_value = dialect === 'postgres' ? bytes : bytes.toString('base64');
      break;
    }
    case 'bool':
      columns.bool_value = dialect === 'postgres' ? value.boolValue! : value.boolValue! ? 1 : 0;
      break;
    case undefined:
      throw invalidArgument('A property value without any of its oneof fields set cannot be stored.');
  }
  return columns;
}

function parseBool(raw: boolean | number | string): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') return raw !== 0;
  const text = raw.trim().toLowerCase();
  return text === '1' || text === 't' || text === 'true';
}

function decodeStruct(text: string, where: string): { [key: string]: unknown } {
  const encoded = text.slice(STRUCT_PREFIX.length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw invalidArgument(`Unable to parse serialized \`google.protobuf.Struct\` value of ${where}: not base64.`);
  }
  try {
    return Struct.unwrap(Struct.decode(Buffer.from(encoded, 'base64')));
  } catch (e) {
    throw invalidArgument(`Unable to parse serialized \`google.protobuf.Struct\` value of ${where}: ${(e as Error).message}`);
  }
}

function decodeProto(dialect: Dialect, raw: string | Buffer | Uint8Array, where: string): Any {
  let bytes: Uint8Array;
  if (dialect === 'postgres' && typeof raw !== 'string') {
    bytes = raw;
  } else {
    const text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('latin1');
    bytes = Buffer.from(text, 'base64');
  }
  let any: Any;
  try {
    any = Any.decode(bytes);
  } catch (e) {
    throw internal(`Unable to parse the stored proto_value of ${where}: ${(e as Error).message}`);
  }
  if (!any.typeUrl) throw internal(`Retrieved proto_value should have a nonempty type_url (${where}).`);
  return { typeUrl: any.typeUrl, value: any.value ?? Buffer.alloc(0) };
}

/**
 * A Value from a property row, by upstream's read rules: the first non-NULL column in the
 * order int, double, string, proto, bool wins; a string with the struct prefix is a Struct.
 */
export function decodeValue(dialect: Dialect, row: StoredValueColumns, where: string): Value {
  if (row.int_value !== null && row.int_value !== undefined) {
    return { intValue: BigInt(row.int_value) };
  }
  if (row.double_value !== null && row.double_value !== undefined) {
    return { doubleValue: Number(row.double_value) };
  }
  if (row.string_value !== null && row.string_value !== undefined) {
    if (row.string_value.startsWith(STRUCT_PREFIX)) return { structValue: decodeStruct(row.string_value, where) };
    return { stringValue: row.string_value };
  }
  if (row.proto_value !== null && row.proto_value !== undefined) {
    return { protoValue: decodeProto(dialect, row.proto_value, where) };
  }
  if (row.bool_value !== null && row.bool_value !== undefined) {
    return { boolValue: parseBool(row.bool_value) };
  }
  throw internal(`The stored property ${where} has a null value in every known value column.`);
}
