import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { serverEnvironment } from '../support/db_servers';

const MODULE = path.resolve(__dirname);

function goAvailable(): boolean {
  return spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;
}

/**
 * The Kubeflow Pipelines Go side is the other judge: test/go replays KFP's driver/launcher
 * RPC sequence through the generated Go MLMD stubs KFP itself imports, against our server on
 * every backend. Go is on every machine of this project's kind; in CI its absence fails.
 */
describe('Kubeflow Pipelines Go client (go test test/go)', () => {
  const missing = goAvailable() ? undefined : 'no go toolchain on PATH';
  it.skipIf(!!missing && !process.env.CI)(`passes${missing ? ` (skipped: ${missing})` : ''}`, () => {
    expect(missing, 'go toolchain').toBeUndefined();
    const { mariadb, postgres } = inject('testBackends');
    const result = spawnSync('go', ['test', '-count=1', './...'], {
      cwd: MODULE,
      encoding: 'utf8',
      timeout: 600_000,
      env: { ...process.env, ...serverEnvironment({ mariadb, postgres }) },
    });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, `go test exited ${result.status ?? result.signal}:\n${output}`).toBe(0);
    expect(output).toMatch(/^ok\s/m);
  }, 660_000);
});
