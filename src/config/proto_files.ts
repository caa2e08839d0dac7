import fs from 'node:fs';
import path from 'node:path';
import { Root } from 'protobufjs';

export const MLMD_PROTO = 'ml_metadata/proto/metadata_store.proto';
export const MLMD_SERVICE_PROTO = 'ml_metadata/proto/metadata_store_service.proto';

let cachedProtoDir: string | undefined;

/**
 * The repository's proto/ directory. Searched upwards from this file because the compiled
 * code runs from dist/src/... and the sources (tests, tsx) from src/...; both sit below the
 * package root that holds proto/.
 */
export function protoDir(): string {
  if (cachedProtoDir) return cachedProtoDir;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'proto');
    if (fs.existsSync(path.join(candidate, MLMD_SERVICE_PROTO))) return (cachedProtoDir = candidate);
    if (path.dirname(dir) === dir) {
      throw new Error(`cannot find proto/${MLMD_SERVICE_PROTO} above ${__dirname}`);
    }
  }
}

/**
 * protobufjs reflection over metadata_store.proto, field names as written in the .proto.
 * google/protobuf/* imports resolve to protobufjs's bundled copies.
 */
export function loadMlmdProtoRoot(): Root {
  const root = new Root();
  const dir = protoDir();
  root.resolvePath = (_origin, target) => {
    const local = path.join(dir, target);
    if (fs.existsSync(local)) return local;
    // protobufjs bundles any/struct/... as "common" types, but descriptor.proto only as a file.
    if (target.startsWith('google/protobuf/')) {
      const bundled = path.join(path.dirname(require.resolve('protobufjs/package.json')), target);
      if (fs.existsSync(bundled)) return bundled;
    }
    return target;
  };
  root.loadSync(MLMD_PROTO, { keepCase: true });
  root.resolveAll();
  return root;
}
