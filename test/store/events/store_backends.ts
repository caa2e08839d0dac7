import { afterAll, beforeAll, describe } from 'vitest';
import { openDatabase, type Database } from '../../../src/database';
import { MetadataStore } from '../../../src/store/metadata_store';

export interface StoreUnderTest {
  db: Database;
  store: MetadataStore;
}

/**
 * Runs `body` against a fresh SQLite database with the store over it. (The shared
 * multi-backend harness replaces this once it lands.)
 */
export function describeStore(name: string, body: (ctx: () => StoreUnderTest) => void): void {
  describe(`${name} [sqlite]`, () => {
    let ctx: StoreUnderTest;
    beforeAll(async () => {
      const db = await openDatabase({ kind: 'sqlite', filename: ':memory:' }, { schema: { enableUpgrade: false, downgradeToVersion: -1 } });
      ctx = { db, store: new MetadataStore(db) };
    });
    afterAll(() => ctx.db.close());
    body(() => ctx);
  });
}
