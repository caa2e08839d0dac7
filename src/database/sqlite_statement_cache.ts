import type { Knex } from 'knex';

/**
 * Knex's better-sqlite3 client prepares every statement anew, each time it runs: compiling
 * the SQL is a good part of a small statement's cost. The store runs the same few hundred
 * statement texts over and over, so each connection keeps its prepared statements by SQL
 * text, as the worker client does in its thread (sqlite_worker_client.ts). A schema change
 * needs no invalidation: SQLite re-prepares a statement whose schema changed by itself.
 */

/** Enough for every statement shape the store issues; past it the cache starts over. */
const MAX_STATEMENTS = 1000;

interface Statement {
  reader: boolean;
  all(bindings: unknown[]): unknown[];
  run(bindings: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  columns(): { name: string }[];
  raw(toggle: boolean): Statement;
}

/** A prepared statement; a reader's rows come back as arrays and become objects in `toObject`. */
interface CachedStatement {
  statement: Statement;
  toObject?: (values: unknown[]) => Record<string, unknown>;
  /** How many columns `toObject` was built for. */
  width?: number;
}

/**
 * better-sqlite3 builds an object row by setting each column on a fresh object from C++, which
 * costs more than the query itself on a wide result: a hundred nodes with six properties each
 * (600 joined rows of 12 columns) took 3.5 ms as objects and 1.8 ms as arrays on the benchmark
 * machine. So readers return arrays, and a function compiled once per statement turns each into
 * an object literal of one fixed shape (2.0 ms in all). Keys are computed, so a column named
 * `__proto__` is an own property, and a repeated name keeps its last column, as better-sqlite3's
 * own objects do. SQLite re-prepares a statement whose schema changed (a `SELECT *` after a
 * column was added): a row of another width rebuilds the function from the new columns.
 */
function rowBuilder(statement: Statement): (values: unknown[]) => Record<string, unknown> {
  const fields = statement.columns().map((column, i) => `[${JSON.stringify(column.name)}]: values[${i}]`);
  return new Function('values', `return { ${fields.join(', ')} };`) as (values: unknown[]) => Record<string, unknown>;
}

function prepared(connection: Connection, sql: string): CachedStatement {
  const statement = connection.prepare(sql);
  if (!statement.reader) return { statement };
  const toObject = rowBuilder(statement);
  statement.raw(true);
  return { statement, toObject, width: statement.columns().length };
}

interface Connection {
  prepare(sql: string): Statement;
}

type BetterSqliteClientClass = new (config: Knex.Config) => {
  _formatBindings(bindings: unknown): unknown[];
  _optSafeIntegers(options: unknown): boolean | undefined;
  _query(connection: Connection, obj: QueryObject): Promise<QueryObject>;
};

interface QueryObject {
  sql?: string;
  bindings?: unknown;
  options?: unknown;
  response?: unknown;
  context?: unknown;
}

export function withPreparedStatementCache(Base: typeof Knex.Client): typeof Knex.Client {
  const caches = new WeakMap<Connection, Map<string, CachedStatement>>();
  class CachingClient extends (Base as unknown as BetterSqliteClientClass) {
    override async _query(connection: Connection, obj: QueryObject): Promise<QueryObject> {
      // A statement asking for its own integer mode is prepared for itself, as Knex does.
      if (!obj.sql || !connection || this._optSafeIntegers(obj.options) !== undefined) return super._query(connection, obj);
      let cache = caches.get(connection);
      if (!cache) caches.set(connection, (cache = new Map()));
      let cached = cache.get(obj.sql);
      if (!cached) {
        cached = prepared(connection, obj.sql);
        if (cache.size >= MAX_STATEMENTS) cache.clear();
        cache.set(obj.sql, cached);
      }
      const { statement } = cached;
      const bindings = this._formatBindings(obj.bindings);
      if (cached.toObject) {
        const rows = statement.all(bindings) as unknown[][] as unknown[];
        if (rows.length > 0 && (rows[0] as unknown[]).length !== cached.width) {
          cached.toObject = rowBuilder(statement);
          cached.width = (rows[0] as unknown[]).length;
        }
        const toObject = cached.toObject;
        for (let i = 0; i < rows.length; i++) rows[i] = toObject(rows[i] as unknown[]);
        obj.response = rows;
        return obj;
      }
      const response = statement.run(bindings);
      obj.response = response;
      obj.context = { lastID: response.lastInsertRowid, changes: response.changes };
      return obj;
    }
  }
  return CachingClient as unknown as typeof Knex.Client;
}
