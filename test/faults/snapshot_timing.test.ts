import { afterAll, beforeAll, expect, it } from 'vitest';
import { MLMD_MIGRATIONS } from '../../migrations';
import { openDatabase, type Database } from '../../src/database';
import { PropertyType } from '../../src/generated/ml_metadata/proto/metadata_store';
import { MetadataStore } from '../../src/store/metadata_store';
import { describeEachBackend } from '../support/backends';

type QueryFn = (connection: unknown, obj: { sql?: string }) => Promise<unknown>;

/**
 * Type creation checks, then inserts, under the type lock. The check must see what the lock's
 * previous holder committed whatever moment the engine takes the transaction's read snapshot.
 * TiDB takes it at the first statement, before the lock; MariaDB does the same when told
 * START TRANSACTION WITH CONSISTENT SNAPSHOT, which this suite makes every transaction begin
 * with. 16 concurrent creators of one new type must still make one type.
 */
describeEachBackend(
  'type creation whatever the snapshot moment',
  (backend) => {
  let db: Database;
  let restore: (() => void) | undefined;
  let rewritten = 0;
  let locked = 0;
  beforeAll(async () => {
    const config = await backend.freshDatabaseConfig();
    db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 16 });
    // The pool's client class is this database's own (knex_config.ts builds one per config).
    const prototype = Object.getPrototypeOf(db.knex.client) as { _query: QueryFn };
    const original = prototype._query;
    prototype._query = function (this: unknown, connection, obj) {
      // The BEGIN alone, or folded in front of the unit's first statement (mysql_folded_begin.ts).
      const begin = /(^|;\s*)(BEGIN|START TRANSACTION)\s*(;|$)/i;
      if (obj && begin.test(obj.sql ?? '')) {
        rewritten++;
        obj = { ...obj, sql: obj.sql!.replace(begin, '$1START TRANSACTION WITH CONSISTENT SNAPSHOT$3') };
      }
      if (obj && /\bfor update\b/i.test(obj.sql ?? '')) locked++;
      return original.call(this, connection, obj);
    };
    restore = () => (prototype._query = original);
  });
  afterAll(async () => {
    restore?.();
    await db?.close();
  });

  it('16 concurrent PutArtifactType for one new name, transactions snapshotting at BEGIN: one type', async () => {
    const store = new MetadataStore(db);
    for (let round = 0; round < 3; round++) {
      const name = `snapshot_race_${round}_${Date.now()}`;
      const responses = await Promise.all(
        Array.from({ length: 16 }, () =>
          store.call('putArtifactType', { artifactType: { name, properties: { p: PropertyType.INT } } } as never),
        ),
      );
      const rows = await db.knex(db.table('Type')).where({ name }).select('id');
      expect(rows).toHaveLength(1);
      expect(new Set(responses.map((r) => r.typeId)).size).toBe(1);
    }
    // Every transaction that took the type lock began with the consistent snapshot (a creator
    // whose unframed check already found the type begins none: Tx.unframed), and in every
    // round at least the one creator did.
    expect(locked).toBeGreaterThanOrEqual(3);
    expect(rewritten).toBeGreaterThanOrEqual(locked);
  });
},
  // START TRANSACTION WITH CONSISTENT SNAPSHOT is InnoDB's; PostgreSQL's writes run READ
  // COMMITTED and take the lock first, SQLite has one writer.
  ['mariadb'],
);
