import fs from 'node:fs';
import path from 'node:path';
import { createFileRegistry, fromBinary, toBinary, ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { reflect, type ReflectMessage } from '@bufbuild/protobuf/reflect';
import { describe, expect, it } from 'vitest';
import { MetadataStoreServiceService } from '../../src/generated/ml_metadata/proto/metadata_store_service';
import { MLMD_RPC_METHODS } from '../../src/transport/service';

/**
 * Requests and responses cross between the main thread and the store threads by structured
 * clone (src/threads/). For every RPC, a request and a response with every field set (every
 * scalar kind, bytes, 64-bit ids, enums, nested messages, lists, maps, one member of each
 * oneof, Struct values) are decoded as the transport decodes them, cloned, and re-encoded:
 * the bytes must be the same as the original's.
 */

const registry = createFileRegistry(
  fromBinary(FileDescriptorSetSchema, fs.readFileSync(path.join(__dirname, '../../src/generated/mlmd_descriptors.binpb'))),
);

/** Recursive messages (Struct, lineage options) stop here. */
const MAX_DEPTH = 4;

function scalarValue(type: ScalarType, n: number): unknown {
  switch (type) {
    case ScalarType.STRING:
      return `vålue-${n}`;
    case ScalarType.BYTES:
      return new Uint8Array([0, 1, 254, 255, n & 0xff]);
    case ScalarType.BOOL:
      return true;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return 1.5 + n;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return -(2n ** 62n) + BigInt(n);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return 2n ** 63n + BigInt(n);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return 4_000_000_000 + n;
    default:
      return -7 - n;
  }
}

let counter = 0;

function populate(message: ReflectMessage, depth: number): void {
  for (const member of message.desc.members) {
    const field: DescField = member.kind === 'oneof' ? member.fields[0] : member;
    fill(message, field, depth);
  }
}

function enumValue(field: DescField): number {
  const values = field.enum!.values;
  return values[values.length - 1].number;
}

function fill(message: ReflectMessage, field: DescField, depth: number): void {
  const n = counter++;
  switch (field.fieldKind) {
    case 'scalar':
      message.set(field, scalarValue(field.scalar, n) as never);
      return;
    case 'enum':
      message.set(field, enumValue(field) as never);
      return;
    case 'message': {
      if (depth >= MAX_DEPTH) return;
      const sub = reflect(field.message);
      populate(sub, depth + 1);
      message.set(field, sub as never);
      return;
    }
    case 'list': {
      const list = message.get(field);
      for (let i = 0; i < 2; i++) {
        if (field.listKind === 'scalar') list.add(scalarValue(field.scalar, n + i));
        else if (field.listKind === 'enum') list.add(enumValue(field));
        else if (depth < MAX_DEPTH) {
          const sub = reflect(field.message);
          populate(sub, depth + 1);
          list.add(sub);
        }
      }
      return;
    }
    case 'map': {
      const map = message.get(field);
      const key = field.mapKey === ScalarType.STRING ? `key-${n}` : scalarValue(field.mapKey, n);
      if (field.mapKind === 'scalar') map.set(key, scalarValue(field.scalar, n));
      else if (field.mapKind === 'enum') map.set(key, enumValue(field));
      else if (depth < MAX_DEPTH) {
        const sub = reflect(field.message);
        populate(sub, depth + 1);
        map.set(key, sub);
      }
      return;
    }
  }
}

function fullyPopulated(typeName: string): Buffer {
  const desc = registry.getMessage(typeName) as DescMessage | undefined;
  if (!desc) throw new Error(`no descriptor for ${typeName}`);
  const message = reflect(desc);
  populate(message, 0);
  return Buffer.from(toBinary(desc, message.message));
}

/** The full proto names of an RPC's request and response, from the service's method descriptor. */
function messageNames(wireName: string): { input: string; output: string } {
  const service = registry.getService('ml_metadata.MetadataStoreService')!;
  const method = service.methods.find((m) => m.name === wireName)!;
  return { input: method.input.typeName, output: method.output.typeName };
}

describe('every RPC request and response survives structured clone', () => {
  for (const method of MLMD_RPC_METHODS) {
    const definition = MetadataStoreServiceService[method];
    const wireName = definition.path.slice(definition.path.lastIndexOf('/') + 1);
    it(wireName, () => {
      const names = messageNames(wireName);
      const request = definition.requestDeserialize(fullyPopulated(names.input));
      const response = definition.responseDeserialize(fullyPopulated(names.output));
      const requestBytes = definition.requestSerialize(request as never);
      const responseBytes = definition.responseSerialize(response as never);
      // Populated for real: a message that decoded to nothing would prove nothing (some responses have no fields).
      if (registry.getMessage(names.output)!.fields.length > 0) expect(responseBytes.length).toBeGreaterThan(8);
      expect(requestBytes.length).toBeGreaterThan(8);
      expect(Buffer.compare(definition.requestSerialize(structuredClone(request) as never), requestBytes)).toBe(0);
      expect(Buffer.compare(definition.responseSerialize(structuredClone(response) as never), responseBytes)).toBe(0);
    });
  }
});
