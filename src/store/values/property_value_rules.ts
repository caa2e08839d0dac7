import type { Value } from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument } from '../../errors';
import { valueKind } from '../../repositories/property_value_codec';

/**
 * Rejects values upstream would crash on or store unreadably: a Value without a case (its
 * SQL binder aborts the process) and an Any without type_url (every later read fails).
 * `where` names the field for the message, e.g. "custom_properties[\"foo\"] of artifact 3".
 */
export function checkStorableValue(value: Value | undefined, where: string): void {
  const kind = valueKind(value);
  if (kind === undefined) {
    throw invalidArgument(`${where} has an empty Value: one of int_value, double_value, string_value, struct_value, proto_value or bool_value must be set.`);
  }
  if (kind === 'double' && !Number.isFinite(value!.doubleValue)) {
    throw invalidArgument(`${where} has double_value ${value!.doubleValue}, which cannot be stored: only finite doubles are supported.`);
  }
  if (kind === 'proto' && !value!.protoValue!.typeUrl) {
    throw invalidArgument(`${where} has a proto_value without type_url; a google.protobuf.Any must name its type.`);
  }
}

/** Protobuf equality of two Values, as upstream's "did it change?" check needs (§3.3). */
export function valuesEqual(a: Value | undefined, b: Value | undefined): boolean {
  const kind = valueKind(a);
  if (kind !== valueKind(b)) return false;
  if (a === undefined || b === undefined) return a === b;
  switch (kind) {
    case 'int':
      return a.intValue === b.intValue;
    case 'double':
      return a.doubleValue === b.doubleValue;
    case 'string':
      return a.stringValue === b.stringValue;
    case 'bool':
      return a.boolValue === b.boolValue;
    case 'struct':
      return deepEqual(a.structValue, b.structValue);
    case 'proto':
      return a.protoValue!.typeUrl === b.protoValue!.typeUrl &&
        Buffer.from(a.protoValue!.value ?? new Uint8Array()).equals(Buffer.from(b.protoValue!.value ?? new Uint8Array()));
    default:
      return true;
  }
}

/** Structural equality of decoded Struct contents (map order must not matter). */
function deepEqual(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (typeof x !== typeof y || x === null || y === null || typeof x !== 'object') return false;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  if (Array.isArray(x)) {
    const ya = y as unknown[];
    return x.length === ya.length && x.every((v, i) => deepEqual(v, ya[i]));
  }
  const xo = x as Record<string, unknown>;
  const yo = y as Record<string, unknown>;
  const keys = Object.keys(xo);
  return keys.length === Object.keys(yo).length && keys.every((k) => k in yo && deepEqual(xo[k], yo[k]));
}
