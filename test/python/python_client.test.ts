import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { serverEnvironment } from '../support/db_servers';

const REPO = path.resolve(__dirname, '../..');
const PYTHON = path.join(REPO, '.venv/bin/python');

/** Why the judge cannot run here, or undefined. In CI nothing may be missing. */
function missingPrerequisite(): string | undefined {
  if (!fs.existsSync(PYTHON)) return 'no .venv: run scripts/setup-python.sh';
  if (!fs.existsSync(path.join(REPO, 'src/main.ts'))) return 'src/main.ts (the server entry point) does not exist yet';
  return undefined;
}

const missing = missingPrerequisite();

/**
 * The official ml-metadata client is the judge: test/python starts our server on every
 * backend and talks to it over gRPC. Its pytest run is one vitest test that fails when any
 * Python test fails.
 */
describe('official Python client (pytest test/python)', () => {
  it.skipIf(!!missing && !process.env.CI)(`passes${missing ? ` (skipped: ${missing})` : ''}`, () => {
    expect(missing, 'prerequisite for the Python judge tests').toBeUndefined();
    const { mariadb, postgres } = inject('testBackends');
    const result = spawnSync(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-rfEs', 'test/python'], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 600_000,
      env: { ...process.env, ...serverEnvironment({ mariadb, postgres }) },
    });
    const output = `${result.stdout}\n${result.stderr}`;
    // Exit 5 means pytest collected nothing: that is a failure too.
    expect(result.status, `pytest exited ${result.status ?? result.signal}:\n${output}`).toBe(0);
    expect(output).toMatch(/\d+ passed/);
  }, 660_000);
});
