import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/database';
import { MLMD_MIGRATIONS } from '../../migrations';
import { statementsDuring, workStatements } from '../support/store_assertions';
import { describeEachBackend } from '../support/backends';

/** The packet opens or closes a frame (alone, or on MySQL folded in front of a statement). */
const isFrame = (sql: string) => /^\s*(begin|commit|rollback|start transaction|set transaction)\b/i.test(sql);
/** The packet carries only frame statements. */
const onlyFrame = (sql: string) => workStatements([sql]).length === 0;

/** Read units begin at their first statement, and a declared single statement runs unframed. */
describeEachBackend('a unit frame: deferred BEGIN for read units (unit_frame.ts)', (backend) => {
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
    // On MySQL the BEGIN shares its first statement's packet (mysql_folded_begin.ts).
    if (backend.dialect === 'mysql') {
      expect(sql.map(onlyFrame)).toEqual([false, false, true]);
      expect(sql[0]).toMatch(/^START TRANSACTION READ ONLY; select /i);
    } else {
      expect(sql.map(isFrame)).toEqual([true, false, false, true]);
    }
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
    expect(workStatements(sql).length).toBe(3);
    expect(onlyFrame(sql[sql.length - 1])).toBe(true);
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
    expect(workStatements(sql).length).toBe(2);
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
    expect(onlyFrame(sql[sql.length - 1])).toBe(true);
    expect(workStatements(sql).length).toBe(1);
  });

  it.runIf(backend.dialect === 'mysql')('MySQL: a write unit sends its BEGIN with its first statement, one packet less', async () => {
    const name = `deferred.F.${Date.now()}`;
    const { sql } = await statementsDuring(db, () =>
      db.transaction(async (tx) => {
        await tx.knex(tx.table('Type')).insert({ name, type_kind: 1 });
        await tx.knex(tx.table('Type')).insert({ name: `${name}.2`, type_kind: 1 });
      }),
    );
    expect(sql).toHaveLength(3);
    expect(sql[0]).toMatch(/^START TRANSACTION; insert into /i);
    expect(sql[2]).toMatch(/^COMMIT/i);
    const rows = await db.transaction((tx) => tx.knex(tx.table('Type')).whereIn('name', [name, `${name}.2`]).select('id'));
    expect(rows).toHaveLength(2);
  });

  it.runIf(backend.dialect === 'mysql')('MySQL: a statement sent with the next one shares its packet, after the BEGIN, and fails it if it fails', async () => {
    const lock = `SELECT schema_version FROM ${db.table('MLMDEnv')} FOR UPDATE`;
    const { result, sql } = await statementsDuring(db, () =>
      db.transaction(async (tx) => {
        await tx.withNextStatement(lock);
        return Number((await typeCount(tx))[0].n);
      }),
    );
    expect(result).toBe(1);
    expect(sql).toHaveLength(2);
    expect(sql[0]).toMatch(/^START TRANSACTION; SELECT schema_version FROM \S+ FOR UPDATE; select count/i);
    expect(sql[1]).toMatch(/^COMMIT/i);
    // Pending when the unit commits: it travels with the COMMIT.
    const late = await statementsDuring(db, () =>
      db.transaction(async (tx) => {
        await typeCount(tx);
        await tx.withNextStatement(lock);
      }),
    );
    expect(late.sql[1]).toMatch(/^SELECT schema_version FROM \S+ FOR UPDATE; COMMIT/i);
    // A failing one fails its carrier's call.
    await expect(
      db.transaction(async (tx) => {
        await tx.withNextStatement(`SELECT no_such_column FROM ${db.table('MLMDEnv')}`);
        await typeCount(tx);
      }),
    ).rejects.toMatchObject({ code: 13 });
  });

  it.runIf(backend.dialect === 'mysql')('MySQL: a unit whose folded first statement or a later one fails writes nothing', async () => {
    const name = `deferred.R.${Date.now()}`;
    // The folded statement itself fails: the transaction it opened is rolled back.
    await expect(
      db.transaction(async (tx) => {
        await tx.knex.raw(`INSERT INTO ${tx.table('Type')} (name, type_kind, no_such_column) VALUES (?, 1, 1)`, [name]);
      }),
    ).rejects.toMatchObject({ code: 13 });
    // A later statement fails: what the folded one wrote is rolled back with it.
    await expect(
      db.transaction(async (tx) => {
        await tx.knex(tx.table('Type')).insert({ name, type_kind: 1 });
        await tx.knex.raw(`SELECT no_such_column FROM ${tx.table('Type')}`);
      }),
    ).rejects.toMatchObject({ code: 13 });
    const rows = await db.transaction((tx) => tx.knex(tx.table('Type')).where({ name }).select('id'));
    expect(rows).toHaveLength(0);
  });

  it.runIf(backend.dialect === 'mysql')('MySQL: several statements per packet let no value add a statement (values are bindings)', async () => {
    const name = `deferred.I.${Date.now()}'; DROP TABLE Type; SELECT '`;
    const [id] = await db.transaction((tx) => tx.insertReturningIds('Type', [{ name, type_kind: 1 }]));
    const rows = await db.transaction((tx) => tx.knex(tx.table('Type')).where({ id }).select('name'));
    expect(rows).toEqual([{ name }]);
    const types = await db.transaction((tx) => tx.knex(tx.table('Type')).count({ n: '*' }));
    expect(Number(types[0].n)).toBeGreaterThan(1);
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
  it('every statement of a unit runs in its one transaction: it sees its own uncommitted rows, and a failure undoes them', async () => {
    const name = `frame.own.${Date.now()}`;
    const seenInside: number[] = [];
    await expect(
      db.transaction(async (tx) => {
        await tx.knex(tx.table('Type')).insert({ name, type_kind: 1 });
        // Several statements and builders of every kind the unit offers, all on its connection.
        seenInside.push(Number((await tx.knex(tx.table('Type')).count({ n: '*' }).where({ name }))[0].n));
        seenInside.push(Number((await tx.knex.from(tx.table('Type')).count({ n: '*' }).where({ name }))[0].n));
        seenInside.push(Number(((await tx.knex.count({ n: '*' }).from(tx.table('Type')).where({ name })) as { n: number | string }[])[0].n));
        seenInside.push((await tx.knex.select('id').from(tx.table('Type')).where({ name })).length);
        const raw = await tx.knex.raw(`SELECT count(*) AS n FROM ${tx.table('Type')} WHERE name = ?`, [name]);
        const rows = backend.dialect === 'mysql' ? (raw as [{ n: number }[]])[0] : backend.dialect === 'postgres' ? (raw as { rows: { n: number }[] }).rows : (raw as { n: number }[]);
        seenInside.push(Number(rows[0].n));
        throw new Error('undo');
      }),
    ).rejects.toThrow();
    expect(seenInside).toEqual([1, 1, 1, 1, 1]);
    const after = await db.transaction(async (tx) => Number((await tx.knex(tx.table('Type')).count({ n: '*' }).where({ name }))[0].n));
    expect(after).toBe(0);
    // Other units are not held up by the one that failed: the pool got its connection back.
    const counts = await Promise.all(Array.from({ length: 8 }, () => db.transaction(async (tx) => (await typeCount(tx)).length, { readOnly: true })));
    expect(counts).toEqual(Array(8).fill(1));
  });
});
