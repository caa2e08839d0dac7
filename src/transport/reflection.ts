import fs from 'node:fs';
import path from 'node:path';
import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { FileDescriptorProto, FileDescriptorSet } from '../generated/google/protobuf/descriptor';

/** Written by `npm run generate` (buf build) next to the generated code. */
export const DESCRIPTOR_SETS = ['mlmd_descriptors.binpb', 'health_descriptors.binpb'];

function generatedDir(): string | undefined {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'src', 'generated');
    if (fs.existsSync(path.join(candidate, DESCRIPTOR_SETS[0]))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The exact FileDescriptorProtos of the MLMD and health protos (and their imports), as buf
 * compiled them. Reflection needs real descriptors: the ones @grpc/proto-loader rebuilds
 * through protobufjs lose file names, dependencies and map-entry names, and grpcurl then
 * fails to resolve google.protobuf.FieldMask or the health service's map field.
 */
export function loadFileDescriptorProtos(): Uint8Array[] | undefined {
  const dir = generatedDir();
  if (!dir) return undefined;
  const files = new Map<string, Uint8Array>();
  for (const name of DESCRIPTOR_SETS) {
    for (const file of FileDescriptorSet.decode(fs.readFileSync(path.join(dir, name))).file ?? []) {
      if (file.name && !files.has(file.name)) files.set(file.name, FileDescriptorProto.encode(file).finish());
    }
  }
  return [...files.values()];
}

/**
 * gRPC server reflection (v1 and v1alpha) so that `grpcurl -plaintext host:port list` and
 * `describe` work without local .proto files. Returns false when the descriptor sets have
 * not been generated (reflection is then left out; everything else works).
 */
export function addReflection(server: Pick<Server, 'addService'>): boolean {
  const fileDescriptorProtos = loadFileDescriptorProtos();
  if (!fileDescriptorProtos) return false;
  // @grpc/reflection reads only `fileDescriptorProtos` from the package definition's entries.
  const definitions = { descriptors: { fileDescriptorProtos } } as unknown as PackageDefinition;
  new ReflectionService(definitions).addToServer(server);
  return true;
}
