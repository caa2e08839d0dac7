import type { Knex } from 'knex';
import { Worker } from 'node:worker_threads';

/**
 * better-sqlite3 is synchronous: on the event loop, one heavy query (a deep lineage walk)
 * stalls every other call for its whole length. This Knex client gives each pooled SQLite
 * connection a worker thread of its own, holding its own better-sqlite3 handle on the file:
 * statements run there, and the event loop only passes SQL and rows. In WAL mode readers on
 * one connection do not wait for a writer on another; writers take the write lock up front
 * (BEGIN IMMEDIATE, waiting up to busy_timeout in their thread) instead of failing to upgrade
 * a read lock with SQLITE_BUSY halfway.
 */

/** The worker's code, plain CommonJS, run with `eval` so no file needs resolving at run time. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.filename, { readonly: workerData.readonly });
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
if (workerData.wal) db.pragma('journal_mode = WAL');
const statements = new Map();
const asBuffer = (v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);
parentPort.on('message', ({ id, sql, bindings }) => {
  try {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (statements.size >= 1000) statements.clear();
      statements.set(sql, statement);
    }
    const args = bindings.map(asBuffer);
    if (statement.reader) parentPort.postMessage({ id, rows: statement.all(args) });
    else {
      const result = statement.run(args);
      parentPort.postMessage({ id, changes: result.changes, lastInsertRowid: result.lastInsertRowid });
    }
  } catch (e) {
    parentPort.postMessage({ id, error: { message: e.message, code: e.code } });
  }
});
`;

interface Answer {
  id: number;
  rows?: Record<string, unknown>[];
  changes?: number;
  lastInsertRowid?: number | bigint;
  error?: { message: string; code?: string };
}

export interface SqliteWorkerSettings {
  filename: string;
  readonly: boolean;
  busyTimeoutMs: number;
  wal: boolean;
}

/** One pooled connection: a worker thread and the statements waiting for its answers. */
class SqliteWorkerConnection {
  private readonly waiting = new Map<number, { resolve(a: Answer): void; reject(e: Error): void }>();
  private nextId = 1;
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (answer: Answer) => {
      const pending = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      pending?.resolve(answer);
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const pending of this.waiting.values()) pending.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(Object.assign(new Error(`the SQLite worker thread exited (${code})`), { code: 'SQLITE_CANTOPEN' })));
  }

  static async open(settings: SqliteWorkerSettings): Promise<SqliteWorkerConnection> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      workerData: { ...settings, driverPath: require.resolve('better-sqlite3') },
    });
    const connection = new SqliteWorkerConnection(worker);
    // The first answer proves the file opened (and the pragmas ran).
    await connection.run('SELECT 1', []);
    return connection;
  }

  run(sql: string, bindings: unknown[]): Promise<Answer> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, sql, bindings });
    }).then((answer) => {
      if (answer.error) throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
      return answer;
    });
  }

  get healthy(): boolean {
    return this.failure === undefined;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Rows cross the thread boundary by structured clone: Buffers arrive as plain Uint8Arrays. */
function restoreBuffers(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  for (const row of rows) {
    for (const key in row) {
      const v = row[key];
      if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[key] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    }
  }
  return rows;
}

type SqliteClientClass = new (config: Knex.Config) => {
  connectionSettings: { filename: string; options?: { readonly?: boolean } };
  _formatBindings(bindings: unknown): unknown[];
};

/** The better-sqlite3 Knex client with each connection in a worker thread (see above). */
export function sqliteWorkerClient(Base: typeof Knex.Client, settings: Omit<SqliteWorkerSettings, 'filename' | 'readonly'>): typeof Knex.Client {
  class SqliteWorkerClient extends (Base as unknown as SqliteClientClass) {
    async acquireRawConnection(): Promise<SqliteWorkerConnection> {
      return SqliteWorkerConnection.open({
        ...settings,
        filename: this.connectionSettings.filename,
        readonly: !!this.connectionSettings.options?.readonly,
      });
    }

    async destroyRawConnection(connection: SqliteWorkerConnection): Promise<void> {
      await connection.close();
    }

    validateConnection(connection: SqliteWorkerConnection): boolean {
      return connection.healthy;
    }

    async _query(connection: SqliteWorkerConnection, obj: { sql?: string; bindings?: unknown; response?: unknown; context?: unknown }) {
      if (!obj.sql) throw new Error('The query is empty');
      const answer = await connection.run(obj.sql, this._formatBindings(obj.bindings));
      if (answer.rows) {
        obj.response = restoreBuffers(answer.rows);
        return obj;
      }
      obj.response = { changes: answer.changes, lastInsertRowid: answer.lastInsertRowid };
      obj.context = { lastID: answer.lastInsertRowid, changes: answer.changes };
      return obj;
    }
  }
  return SqliteWorkerClient as unknown as typeof Knex.Client;
}
