import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/database';
import { MLMD_MIGRATIONS } from '../../migrations';
import { statementsDuring } from '../support/store_assertions';
import { describeEachBackend } from '../support/backends';

const isFrame = (sql: string) => /^\s*(begin|commit|rollback|start transaction|set transaction)\b/i.test(sql);

/** Read units begin at their first statement, and a declared single statement runs unframed. */
describeEachBackend('deferred BEGIN for read units (deferred_read_begin.ts)', (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase(await backend.freshDatabaseConfig(), {
      schema: { enableUpgrade: false, downgradeToVersion: -1 },
      migrations: MLMD_MIGRATIONS,
      poolMax: 4,
    });
    await db.transaction((tx) => tx.knex(tx.table('Type')).insert({ name: 'deferred.T', type_kind: 1 }));
  });
  afterAll(async () => {
    await db?.close();
  });

  const typeCount = (tx: Parameters<Parameters<Database['transaction']>[0]>[0]) =>
    tx.knex(tx.table('Type')).count({ n: '*' }).where({ name: 'deferred.T' });

  it('a declared single statement is sent alone: no BEGIN, no COMMIT', async () => {
    const { result, sql } = await statementsDuring(db, () =>
      db.transaction(async (tx) => {
        tx.soleStatementNext();
        return Number((await typeCount(tx))[0].n);
      }, { readOnly: true }),
    );
    expect(result).toBe(1);
    expect(sql).toHaveLength(1);
    expect(isFrame(sql[0])).toBe(false);
  });

  it('an undeclared read is framed, its BEGIN sent right before its first statement', async () => {
    const { sql } = await statementsDuring(db, () =>
      db.transaction(async (tx) => {
        await typeCount(tx);
        await typeCount(tx);
      }, { readOnly: true }),
    );
    expect(sql.map(isFrame)).toEqual([true, false, false, true]);
  });

  it('a read that issues no statement costs none', async () => {
    const { sql } = await statementsDuring(db, () => db.transaction(async () => 42, { readOnly: true }));
    expect(sql).toEqual([]);
  });

  it('a declared single statement followed by a second: the unit is re-run in a transaction and answers right', async () => {
    let runs = 0;
    const { result, sql } = await statementsDuring(db, () =>
      db.transaction(async (tx) => {
        runs++;
        tx.soleStatementNext();
        const a = Number((await typeCount(tx))[0].n);
        const b = Number((await typeCount(tx))[0].n);
        return a + b;
      }, { readOnly: true }),
    );
    expect(result).toBe(2);
    expect(runs).toBe(2);
    // The lone first statement, then the framed re-run with both statements.
    expect(isFrame(sql[0])).toBe(false);
    expect(isFrame(sql[1])).toBe(true);
    expect(sql.filter((q) => !isFrame(q))).toHaveLength(3);
    expect(isFrame(sql[sql.length - 1])).toBe(true);
  });

  it('a declaration after the first statement changes nothing', async () => {
    const { result, sql } = await statementsDuring(db, () =>
      db.transaction(async (tx) => {
        const a = Number((await typeCount(tx))[0].n);
        tx.soleStatementNext();
        return a + Number((await typeCount(tx))[0].n);
      }, { readOnly: true }),
    );
    expect(result).toBe(2);
    expect(sql.filter((q) => !isFrame(q))).toHaveLength(2);
    expect(isFrame(sql[0])).toBe(true);
  });

  it('units that write are framed from the start, declaration or not', async () => {
    const { sql } = await statementsDuring(db, () =>
      db.transaction(async (tx) => {
        tx.soleStatementNext();
        await typeCount(tx);
      }),
    );
    expect(isFrame(sql[0])).toBe(true);
    expect(isFrame(sql[sql.length - 1])).toBe(true);
  });

  it.skipIf(backend.dialect === 'sqlite')('a write inside an undeclared read unit still fails (the deferred BEGIN is read-only)', async () => {
    await expect(
      db.transaction(async (tx) => {
        await typeCount(tx);
        await tx.knex(tx.table('Type')).insert({ name: 'deferred.W', type_kind: 1 });
      }, { readOnly: true }),
    ).rejects.toThrow();
    const n = await db.transaction(async (tx) => Number((await tx.knex(tx.table('Type')).count({ n: '*' }).where({ name: 'deferred.W' }))[0].n));
    expect(n).toBe(0);
  });

  it('a checking write runs its unframed reads alone, and begins only if it goes on', async () => {
    const onlyChecks = await statementsDuring(db, () =>
      db.transaction(async (tx) => {
        const n = await tx.unframed(async () => Number((await typeCount(tx))[0].n) + Number((await typeCount(tx))[0].n));
        expect(n).toBe(2);
      }, { checksUnderLock: true }),
    );
    expect(onlyChecks.sql).toHaveLength(2);
    expect(onlyChecks.sql.some(isFrame)).toBe(false);

    const goesOn = await statementsDuring(db, () =>
      db.transaction(async (tx) => {
        await tx.unframed(() => typeCount(tx));
        await tx.knex(tx.table('Type')).insert({ name: 'deferred.U', type_kind: 1 });
      }, { checksUnderLock: true }),
    );
    expect(isFrame(goesOn.sql[0])).toBe(false);
    expect(goesOn.sql.slice(1).some(isFrame)).toBe(true);
    expect(isFrame(goesOn.sql[goesOn.sql.length - 1])).toBe(true);
    const n = await db.transaction(async (tx) => Number((await tx.knex(tx.table('Type')).count({ n: '*' }).where({ name: 'deferred.U' }))[0].n));
    expect(n).toBe(1);
  });

  it('a failing lone statement fails the unit with its own error, and the connection serves the next unit', async () => {
    await expect(
      db.transaction(async (tx) => {
        tx.soleStatementNext();
        await tx.knex.raw('SELECT no_such_column FROM ' + tx.table('Type'));
      }, { readOnly: true }),
    ).rejects.toMatchObject({ code: 13 });
    for (let i = 0; i < 8; i++) {
      const n = await db.transaction(async (tx) => {
        tx.soleStatementNext();
        return Number((await typeCount(tx))[0].n);
      }, { readOnly: true });
      expect(n).toBe(1);
    }
  });
});
