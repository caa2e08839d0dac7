import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import knexFactory, { type Knex } from 'knex';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inProcessSqliteKnexConfig } from '../../src/database/knex_config';

/**
 * The store's SQLite connections keep prepared statements and read rows as arrays, turning them
 * into objects in JavaScript (src/database/sqlite_statement_cache.ts). These rows must be the
 * objects better-sqlite3 itself would have returned, whatever the columns are called, and stay
 * right when the schema under a cached statement changes.
 */
describe('SQLite statement cache rows', () => {
  let dir: string;
  let file: string;
  let knex: Knex;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stmt-cache-'));
    file = path.join(dir, 'db.sqlite');
    knex = knexFactory(inProcessSqliteKnexConfig({ kind: 'sqlite', filename: file }));
  });
  afterEach(async () => {
    await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The same statement through a plain better-sqlite3 handle, in its default object mode. */
  const plainRows = (sql: string, bindings: unknown[] = []) => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare(sql).all(...bindings);
    } finally {
      db.close();
    }
  };

  it('returns the objects better-sqlite3 returns, every value type included', async () => {
    await knex.raw('CREATE TABLE t (id INTEGER PRIMARY KEY, i INT, d DOUBLE, s TEXT, b BLOB, n TEXT)');
    await knex.raw('INSERT INTO t (i, d, s, b, n) VALUES (?, ?, ?, ?, NULL), (?, ?, ?, ?, NULL)', [
      9007199254740991,
      0.30000000000000004,
      'häh',
      Buffer.from([0, 1, 255]),
      -5,
      -1e-300,
      '',
      Buffer.alloc(0),
    ]);
    const sql = 'SELECT t.id, t.i, t.d, t.s, t.b, t.n, t.i + 1 AS "next" FROM t WHERE t.id IN (?, ?) ORDER BY t.id';
    for (let round = 0; round < 2; round++) {
      // The second round is served by the cached statement.
      const rows = await knex.raw(sql, [1, 2]);
      expect(rows).toEqual(plainRows(sql, [1, 2]));
      expect(Object.keys(rows[0])).toEqual(['id', 'i', 'd', 's', 'b', 'n', 'next']);
      expect(Buffer.isBuffer(rows[0].b)).toBe(true);
    }
    expect(await knex.raw('SELECT id FROM t WHERE id = ?', [3])).toEqual([]);
  });

  it('keeps a column named __proto__ as an own property and a repeated name as its last column', async () => {
    await knex.raw('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await knex.raw("INSERT INTO t (v) VALUES ('x')");
    const [row] = await knex.raw('SELECT v AS "__proto__", id AS "k", v AS "k", \'a"b\' AS "q""uote" FROM t');
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(row, '__proto__')).toBe(true);
    expect(row['__proto__']).toBe('x');
    expect(row.k).toBe('x');
    expect(row['q"uote']).toBe('a"b');
  });

  it('follows a schema change under a cached SELECT *', async () => {
    await knex.raw('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await knex.raw("INSERT INTO t (v) VALUES ('x')");
    expect(await knex.raw('SELECT * FROM t')).toEqual([{ id: 1, v: 'x' }]);
    await knex.raw('ALTER TABLE t ADD COLUMN w INT DEFAULT 7');
    expect(await knex.raw('SELECT * FROM t')).toEqual([{ id: 1, v: 'x', w: 7 }]);
  });
});
