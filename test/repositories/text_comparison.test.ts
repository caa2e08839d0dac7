import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/database';
import { textComparisonKey } from '../../src/repositories/text_comparison';
import { MetadataStore } from '../../src/store/metadata_store';
import { describeEachBackend } from '../support/backends';
import { MLMD_MIGRATIONS } from '../../migrations';

/** Stored text and a probe that some collation might consider equal to it. */
const PAIRS: readonly [string, string][] = [
  ['Run', 'Run'],
  ['Run', 'run'],
  ['Run', 'RUN'],
  ['run', 'run '],
  ['run', 'run   '],
  ['run', ' run'],
  ['run', 'run\t'],
  ['É', 'é'],
  ['é', 'e'],
  ['ß', 'ss'],
  ['Straße', 'STRASSE'],
  ['Ǆ', 'ǆ'],
];
const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

describeEachBackend('textComparisonKey agrees with the database', (backend) => {
  let db: Database;
  /** One context type per pair, holding the pair's stored text (the unique key is (type_id, name)). */
  const typeIds: bigint[] = [];
  beforeAll(async () => {
    db = await openDatabase(await backend.freshDatabaseConfig(), {
      schema: { enableUpgrade: false, downgradeToVersion: -1 },
      migrations: MLMD_MIGRATIONS,
      poolMax: 2,
    });
    const store = new MetadataStore(db);
    for (const [i, [stored]] of PAIRS.entries()) {
      const typeId = (await store.call('putContextType', { contextType: { name: `text_comparison_${i}` } })).typeId!;
      await store.call('putContexts', { contexts: [{ typeId, name: stored }] });
      typeIds.push(typeId);
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  it('never equates what the unique index keeps apart, and equates every ASCII pair it does not', async () => {
    const outcomes: string[] = [];
    for (const [i, [stored, probe]] of PAIRS.entries()) {
      const typeId = typeIds[i];
      const databaseEqual = await db.transaction(async (tx) => {
        const rows = (await tx.knex(tx.table('Context')).select('name').where({ type_id: Number(typeId), name: probe })) as { name: string }[];
        return rows.some((r) => r.name === stored);
      });
      const keyEqual = textComparisonKey(backend.dialect, stored) === textComparisonKey(backend.dialect, probe);
      outcomes.push(`${JSON.stringify(stored)} ~ ${JSON.stringify(probe)}: database ${databaseEqual}, key ${keyEqual}`);
      if (keyEqual) expect(databaseEqual, outcomes.at(-1)).toBe(true);
      if (databaseEqual && isAscii(stored) && isAscii(probe)) expect(keyEqual, outcomes.at(-1)).toBe(true);
    }
    // On SQLite and PostgreSQL both are exact string equality.
    if (backend.dialect !== 'mysql') {
      for (const [stored, probe] of PAIRS) {
        expect(textComparisonKey(backend.dialect, stored) === textComparisonKey(backend.dialect, probe)).toBe(stored === probe);
      }
    }
  });
});
