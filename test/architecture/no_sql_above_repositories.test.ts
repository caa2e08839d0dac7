import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

/**
 * dependency-cruiser (npm run check:layers) sees imports, not property access: a store file
 * could still build SQL through `tx.knex` without importing Knex. Every statement belongs to
 * the repositories (or the filter's translation), so the store and the transport never touch it.
 */
const ROOT = path.resolve(__dirname, '../..');
const ABOVE_REPOSITORIES = ['src/store', 'src/transport'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

it('no file above the repositories reaches Knex through the transaction', () => {
  const offenders: string[] = [];
  for (const dir of ABOVE_REPOSITORIES) {
    for (const file of sourceFiles(path.join(ROOT, dir))) {
      fs.readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/\.knex\b|from 'knex'/.test(line)) offenders.push(`${path.relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
        });
    }
  }
  expect(offenders).toEqual([]);
});
