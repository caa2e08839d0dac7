// Access to the official Python package (ml-metadata in the repo's .venv, or $MLMD_PYTHON),
// which is the reference for the wire contract: its generated *_pb2 modules carry the
// descriptors upstream compiled, and its protobuf runtime is what real clients encode with.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';

const REPO_ROOT = path.resolve(__dirname, '../..');

/** The interpreter to use, or undefined when none is installed. */
export function referencePython(): string | undefined {
  const configured = process.env.MLMD_PYTHON;
  if (configured) return configured;
  const venv = path.join(REPO_ROOT, '.venv/bin/python');
  return existsSync(venv) ? venv : undefined;
}

/** Runs a Python snippet with the reference interpreter and returns its stdout. */
export function runPython(snippet: string): string {
  const python = referencePython();
  if (!python) throw new Error('no reference Python (run scripts/setup-python.sh)');
  return execFileSync(python, ['-c', snippet], {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Runs a snippet that prints one JSON document and parses it. */
export function runPythonJson<T>(snippet: string): T {
  return JSON.parse(runPython(snippet)) as T;
}

/**
 * describe() for suites that need the reference package. Without it the suite cannot say
 * anything about compatibility: in CI that is a failure (a silently skipped contract test
 * proves nothing); locally it is a printed notice and skipped tests.
 */
export function describeWithReferencePython(name: string, body: () => void): void {
  if (referencePython()) {
    describe(name, body);
    return;
  }
  const notice =
    `${name}: the official ml-metadata Python package is not installed ` +
    '(expected .venv/bin/python or $MLMD_PYTHON); run scripts/setup-python.sh';
  if (process.env.CI) {
    describe(name, () => {
      it('has the reference Python package available', () => {
        throw new Error(notice);
      });
    });
    return;
  }
  console.warn(`NOTICE: ${notice}. Skipping.`);
  describe.skip(name, body);
}

/** FileDescriptorProto bytes of the two upstream files, as compiled into the Python package. */
export interface ReferenceDescriptors {
  protobufVersion: string;
  files: { name: string; serialized: Buffer }[];
}

export function referenceDescriptors(): ReferenceDescriptors {
  const out = runPythonJson<{ protobuf: string; files: { name: string; b64: string }[] }>(`
import base64, json
import google.protobuf
from ml_metadata.proto import metadata_store_pb2, metadata_store_service_pb2
files = [
    {"name": m.DESCRIPTOR.name, "b64": base64.b64encode(m.DESCRIPTOR.serialized_pb).decode()}
    for m in (metadata_store_pb2, metadata_store_service_pb2)
]
print(json.dumps({"protobuf": google.protobuf.__version__, "files": files}))
`);
  return {
    protobufVersion: out.protobuf,
    files: out.files.map((f) => ({ name: f.name, serialized: Buffer.from(f.b64, 'base64') })),
  };
}
