import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { countIndexEntries } from '../../src/database/schema/introspection';
import { describeEachBackend } from '../support/backends';

const REPLICAS = 16;
const SCRIPT = path.join(__dirname, 'fixtures', 'open_once.ts');

function startReplica(config: unknown): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describeEachBackend('sixteen replicas starting together on an empty database', (backend) => {
  it('all come up on one schema: one creates it, the others wait for it', async () => {
    const config = await backend.freshDatabaseConfig();
    const results = await Promise.all(Array.from({ length: REPLICAS }, () => startReplica(config)));
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ version: 10, types: 9 });
    }
    const admin = backend.admin(config);
    const env = await admin(backend.name === 'postgres' ? 'mlmdenv' : 'MLMDEnv').select('schema_version');
    expect(env.map((r) => Number(r.schema_version))).toEqual([10]);
    const dialect = backend.dialect;
    const upstreamTotals = { mysql: 82, sqlite: 40, postgres: 48 };
    // Upstream's own index totals, plus the lookup indexes our migrations add.
    expect(await countIndexEntries(admin, dialect)).toBeGreaterThanOrEqual(upstreamTotals[dialect]);
  }, 180_000);
});
