import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/database';
import { countIndexEntries } from '../../src/database/schema/introspection';
import { StatusCode, type MlmdError } from '../../src/errors';
import { createUpstreamLayout } from './fixtures/upstream_layout';
import { MLMD_MIGRATIONS } from '../../migrations';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tempSqliteFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-upgrade-'));
  dirs.push(dir);
  return path.join(dir, 'metadata.sqlite');
}

async function withKnex<T>(filename: string, work: (knex: Knex) => Promise<T>): Promise<T> {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename }, useNullAsDefault: true });
  try {
    return await work(knex);
  } finally {
    await knex.destroy();
  }
}

/** A little of everything an old pipeline wrote, including what version 8 deduplicates. */
async function seedOldData(knex: Knex, version: number): Promise<void> {
  await knex('Type').insert({ id: 10, name: 'Model', type_kind: 1 });
  await knex('TypeProperty').insert({ type_id: 10, name: 'accuracy', data_type: 2 });
  await knex('Artifact').insert({ id: 1, type_id: 10, uri: '/m/1', state: 2, name: 'm1' });
  await knex('ArtifactProperty').insert({ artifact_id: 1, name: 'accuracy', is_custom_property: 0, double_value: 0.5 });
  await knex('Type').insert({ id: 11, name: 'Trainer', type_kind: 0 });
  await knex('Execution').insert({ id: 1, type_id: 11, last_known_state: 3 });
  const duplicated = version < 8;
  await knex('Event').insert({ id: 1, artifact_id: 1, execution_id: 1, type: 4, milliseconds_since_epoch: 100 });
  await knex('EventPath').insert({ event_id: 1, is_index_step: 1, step_index: 0 });
  if (duplicated) {
    await knex('Event').insert({ id: 2, artifact_id: 1, execution_id: 1, type: 4, milliseconds_since_epoch: 200 });
    await knex('EventPath').insert({ event_id: 2, is_index_step: 0, step_key: 'kept' });
  }
}

const schema = (enableUpgrade: boolean) => ({ schema: { enableUpgrade, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS });

describe.each([6, 7, 8, 9])('an upstream SQLite database at schema version %i', (version) => {
  it('is refused without --enable_database_upgrade, naming the flag, and left untouched', async () => {
    const file = tempSqliteFile();
    await withKnex(file, (k) => createUpstreamLayout(k, 'sqlite', version));
    const error = (await openDatabase({ kind: 'sqlite', filename: file }, schema(false)).catch((e) => e)) as MlmdError;
    expect(error.code).toBe(StatusCode.FAILED_PRECONDITION);
    expect(error.message).toContain('--enable_database_upgrade');
    const stored = await withKnex(file, (k) => k('MLMDEnv').select('schema_version'));
    expect(stored).toEqual([{ schema_version: version }]);
  });

  it('is upgraded to version 10 with every row kept and upstream duplicates resolved as upstream does', async () => {
    const file = tempSqliteFile();
    await withKnex(file, async (k) => {
      await createUpstreamLayout(k, 'sqlite', version);
      await seedOldData(k, version);
    });
    const db = await openDatabase({ kind: 'sqlite', filename: file }, schema(true));
    try {
      expect(db.schemaVersion).toBe(10);
      const k = db.knex;
      expect(await k('MLMDEnv').select('schema_version')).toEqual([{ schema_version: 10 }]);
      expect(await k('Artifact').select('id', 'uri', 'state', 'name', 'external_id')).toEqual([
        { id: 1, uri: '/m/1', state: 2, name: 'm1', external_id: null },
      ]);
      expect(await k('ArtifactProperty').select('double_value', 'proto_value', 'bool_value')).toEqual([
        { double_value: 0.5, proto_value: null, bool_value: null },
      ]);
      const events = await k('Event').select('id', 'milliseconds_since_epoch');
      // Upstream's v8 copy keeps the highest id of each duplicate group and drops its paths.
      expect(events).toEqual(version < 8 ? [{ id: 2, milliseconds_since_epoch: 200 }] : [{ id: 1, milliseconds_since_epoch: 100 }]);
      expect(await k('EventPath').select('event_id')).toEqual([{ event_id: events[0].id }]);
      await expect(k('Event').insert({ artifact_id: 1, execution_id: 1, type: 4 })).rejects.toThrow(/UNIQUE/);
      await expect(k('Artifact').insert([{ type_id: 10, external_id: 'x' }, { type_id: 10, external_id: 'x' }])).rejects.toThrow(/UNIQUE/);
      // Simple types are added as on any start-up, after the user's types.
      expect(await k('Type').where('name', 'mlmd.Dataset').select('id')).toHaveLength(1);
    } finally {
      await db.close();
    }
  });
});

describe('version checks at start-up', () => {
  it('refuses a database newer than version 10', async () => {
    const file = tempSqliteFile();
    await withKnex(file, async (k) => {
      await createUpstreamLayout(k, 'sqlite', 10);
      await k('MLMDEnv').update({ schema_version: 11 });
    });
    const error = (await openDatabase({ kind: 'sqlite', filename: file }, schema(true)).catch((e) => e)) as MlmdError;
    expect(error.code).toBe(StatusCode.FAILED_PRECONDITION);
    expect(error.message).toMatch(/version 11 is newer/);
  });

  it('refuses versions it cannot upgrade, even with the flag', async () => {
    const file = tempSqliteFile();
    await withKnex(file, async (k) => {
      await createUpstreamLayout(k, 'sqlite', 6);
      await k('MLMDEnv').update({ schema_version: 5 });
    });
    const error = (await openDatabase({ kind: 'sqlite', filename: file }, schema(true)).catch((e) => e)) as MlmdError;
    expect(error.code).toBe(StatusCode.FAILED_PRECONDITION);
    expect(error.message).toMatch(/cannot be upgraded/);
  });

  it('adopts an upstream version 10 database without changing it', async () => {
    const file = tempSqliteFile();
    await withKnex(file, async (k) => {
      await createUpstreamLayout(k, 'sqlite', 10);
      await seedOldData(k, 10);
    });
    const before = await withKnex(file, (k) => countIndexEntries(k, 'sqlite'));
    expect(before).toBe(40);
    const db = await openDatabase({ kind: 'sqlite', filename: file }, schema(false));
    expect(await db.knex('Artifact').count({ n: '*' })).toEqual([{ n: 1 }]);
    await db.close();
  });

  it('creates version 10 with upstream index totals in an empty database', async () => {
    const file = tempSqliteFile();
    const db = await openDatabase({ kind: 'sqlite', filename: file }, schema(false));
    expect(db.schemaVersion).toBe(10);
    expect(await db.knex('Type').count({ n: '*' })).toEqual([{ n: 9 }]);
    await db.close();
  });
});
