import {
  create,
  createFileRegistry,
  fromBinary,
  fromJson,
  toBinary,
  toJson,
  type DescMethod,
  type FileRegistry,
  type JsonValue,
} from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { loadFileDescriptorProtos } from '../reflection';

/**
 * Proto3 canonical JSON for every unary method of every service in the descriptor sets
 * `npm run generate` builds from proto/ (MetadataStoreService, our own extension packages)
 * and grpc.health.v1, by reflection over the descriptors: a service added under proto/
 * needs no code here. protobuf-es does the mapping (it passes the protobuf conformance
 * suite: int64 as strings, enum names, Struct and Any in their JSON forms, json_name
 * field names on output, both names accepted on input); our handlers keep their ts-proto
 * messages, because the bridge only converts JSON to and from the binary that goes through
 * grpc-js.
 */
export class JsonCodec {
  private constructor(private readonly registry: FileRegistry) {}

  /** From the generated descriptor sets; undefined when `npm run generate` has not run. */
  static load(): JsonCodec | undefined {
    const files = loadFileDescriptorProtos();
    if (!files) return undefined;
    const set = create(FileDescriptorSetSchema, { file: files.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes)) });
    return new JsonCodec(createFileRegistry(set));
  }

  /** The method at '/pkg.Service/Method', when the descriptors know it. */
  method(path: string): DescMethod | undefined {
    const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
    if (!match) return undefined;
    return this.registry.getService(match[1])?.methods.find((m) => m.name === match[2]);
  }

  /** JSON text of a request → its binary encoding; throws with the parser's reason. */
  requestToBinary(method: DescMethod, json: JsonValue): Uint8Array {
    return toBinary(method.input, fromJson(method.input, json, { registry: this.registry }));
  }

  responseToJson(method: DescMethod, bytes: Uint8Array): JsonValue {
    return toJson(method.output, fromBinary(method.output, bytes), { registry: this.registry });
  }
}
