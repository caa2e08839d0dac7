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
  all(bindings: unknown[]): unknown;
  run(bindings: unknown[]): { changes: number; lastInsertRowid: number | bigint };
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
  const caches = new WeakMap<Connection, Map<string, Statement>>();
  class CachingClient extends (Base as unknown as BetterSqliteClientClass) {
    override async _query(connection: Connection, obj: QueryObject): Promise<QueryObject> {
      // A statement asking for its own integer mode is prepared for itself, as Knex does.
      if (!obj.sql || !connection || this._optSafeIntegers(obj.options) !== undefined) return super._query(connection, obj);
      let cache = caches.get(connection);
      if (!cache) caches.set(connection, (cache = new Map()));
      let statement = cache.get(obj.sql);
      if (!statement) {
        statement = connection.prepare(obj.sql);
        if (cache.size >= MAX_STATEMENTS) cache.clear();
        cache.set(obj.sql, statement);
      }
      const bindings = this._formatBindings(obj.bindings);
      if (statement.reader) {
        obj.response = statement.all(bindings);
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
