// Compiles our proto/ tree with buf, exactly as `npm run generate` sees it, into descriptors.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileDescriptorProto, FileDescriptorSet } from '../../src/generated/google/protobuf/descriptor';

const REPO_ROOT = path.resolve(__dirname, '../..');

let cached: Map<string, FileDescriptorProto> | undefined;

/**
 * Builds proto/ (plus its imports) once per test process and returns the decoded descriptors,
 * keyed by file name. Callers must not mutate them (copy first).
 */
export function buildOurDescriptors(): Map<string, FileDescriptorProto> {
  cached ??= build();
  return cached;
}

function build(): Map<string, FileDescriptorProto> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlmd-buf-'));
  try {
    const out = path.join(dir, 'image.binpb');
    const buf = path.join(REPO_ROOT, 'node_modules/.bin/buf');
    // --as-file-descriptor-set: a plain FileDescriptorSet, without the extra per-file field
    // (8042) in which buf's own image format records build metadata. Source info stays in,
    // the comparison is expected to ignore it.
    execFileSync(buf, ['build', '--as-file-descriptor-set', '-o', out], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const set = FileDescriptorSet.decode(readFileSync(out));
    return new Map((set.file ?? []).map((f) => [f.name ?? '', f]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
