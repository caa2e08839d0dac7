import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteConfig } from '../../src/database/config';
import type { Database } from '../../src/database/database';
import { openDatabase } from '../../src/database/open_database';
import type { DatabaseObserver } from '../../src/database/observer';
import { MlmdError, StatusCode, unavailable } from '../../src/errors';
import { MetadataStoreServiceService } from '../../src/generated/ml_metadata/proto/metadata_store_service';
import { MetadataStore } from '../../src/store/metadata_store';
import type { RpcMethod } from '../../src/store/rpc';
import { StoreThreads } from '../../src/threads/store_threads';
import { MLMD_MIGRATIONS } from '../../migrations';

const TIMEOUTS = { connectMs: 5_000, statementMs: 20_000 };

class Recorder implements DatabaseObserver {
  queries = 0;
  committed = 0;
  rolledBack = 0;
  rows = new Map<string, number>();
  queryFinished(): void {
    this.queries++;
  }
  transactionFinished(outcome: string): void {
    if (outcome === 'committed') this.committed++;
    else this.rolledBack++;
  }
  rowsWritten(kind: string, rows: number): void {
    this.rows.set(kind, (this.rows.get(kind) ?? 0) + rows);
  }
  transactionRetried(): void {}
}

/** Another connection holding SQLite's write lock: writes in the threads wait for it (busy_timeout). */
function holdWriteLock(file: string): { release(): void } {
  const connection = new BetterSqlite(file);
  connection.exec('BEGIN IMMEDIATE');
  return {
    release() {
      connection.exec('ROLLBACK');
      connection.close();
    },
  };
}

async function codeOf(pending: Promise<unknown>): Promise<{ code?: number; message: string; isMlmd: boolean }> {
  try {
    await pending;
  } catch (e) {
    return { code: (e as MlmdError).code, message: (e as Error).message, isMlmd: e instanceof MlmdError };
  }
  throw new Error('the call succeeded');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SQLite store threads (whole RPCs in worker threads)', () => {
  let dir: string;
  let config: SqliteConfig;
  let db: Database;
  let direct: MetadataStore;
  let recorder: Recorder;
  let threads: StoreThreads;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-threads-'));
    config = { kind: 'sqlite', filename: path.join(dir, 'mlmd.db') };
    db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS });
    direct = new MetadataStore(db);
    recorder = new Recorder();
    threads = await StoreThreads.open({ config, schemaVersion: db.schemaVersion, timeouts: TIMEOUTS, threads: 2, observer: recorder });
    // Both threads open before the timing-sensitive tests (the second opens after the first).
    for (const until = Date.now() + 60_000; threads.stats().numFree() < 2 && Date.now() < until; ) await sleep(50);
  }, 90_000);

  afterAll(async () => {
    await threads?.close();
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers as the store in this thread does, and fails with the same status and message', async () => {
    const { typeId } = await threads.call('putArtifactType', { artifactType: { name: 'threads.Data', properties: { rows: 1 } } });
    const { artifactIds } = await threads.call('putArtifacts', {
      artifacts: [
        { typeId, uri: 's3://a', properties: { rows: { intValue: 5n } }, customProperties: { blob: { protoValue: { typeUrl: 't', value: Buffer.from([1, 2, 255]) } } } },
        { typeId, uri: 's3://b', externalId: 'ext-b' },
      ],
    });
    const compare = async (method: RpcMethod, request: unknown) => {
      const definition = MetadataStoreServiceService[method];
      const fromThread = definition.responseSerialize((await threads.call(method, request as never)) as never);
      const here = definition.responseSerialize((await direct.call(method, request as never)) as never);
      expect(fromThread.equals(here), method).toBe(true);
      // The transport's entry: the request as bytes, decoded in the thread; the thread's own
      // encoding back, as bytes of their own.
      const wire = await threads.callForWire(method, new Uint8Array(definition.requestSerialize(request as never)));
      expect(wire, method).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(wire as Uint8Array).equals(here), method).toBe(true);
      expect((wire as Uint8Array).byteLength, method).toBe((wire as Uint8Array).buffer.byteLength);
    };
    await compare('getArtifactsById', { artifactIds });
    await compare('getArtifactTypes', {});
    await compare('getArtifacts', { options: { maxResultSize: 1, orderByField: { field: 1, isAsc: true } } });

    const bad = { artifacts: [{ typeId: 999_999n, uri: 's3://nowhere' }] };
    const threaded = await codeOf(threads.call('putArtifacts', bad));
    const local = await codeOf(direct.call('putArtifacts', bad));
    expect(threaded).toEqual(local);
    expect(await codeOf(threads.callForWire('putArtifacts', bad))).toEqual(local);
    expect(threaded.isMlmd).toBe(true);
    expect(threaded.code).not.toBe(StatusCode.INTERNAL);
  });

  it("reports the threads' statements, transactions and rows written to the main thread's observer", async () => {
    const before = { queries: recorder.queries, committed: recorder.committed, rolledBack: recorder.rolledBack, artifacts: recorder.rows.get('artifact') ?? 0 };
    const { typeId } = await threads.call('putArtifactType', { artifactType: { name: 'threads.Counted' } });
    await threads.call('putArtifacts', { artifacts: [{ typeId, uri: 'c1' }, { typeId, uri: 'c2' }, { typeId, uri: 'c3' }] });
    await codeOf(threads.call('putArtifacts', { artifacts: [{ typeId: 999_999n }] }));
    expect(recorder.rows.get('artifact')! - before.artifacts).toBe(3);
    expect(recorder.committed - before.committed).toBe(2);
    expect(recorder.rolledBack - before.rolledBack).toBe(1);
    expect(recorder.queries - before.queries).toBeGreaterThanOrEqual(3);
  });

  it('serves a read on a free thread while another thread waits for the write lock', async () => {
    const lock = holdWriteLock(config.filename);
    let written = false;
    const write = threads.call('putArtifactType', { artifactType: { name: 'threads.Blocked' } }).then((r) => ((written = true), r));
    try {
      await sleep(100);
      const started = Date.now();
      const read = await threads.call('getArtifactTypes', {});
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(read.artifactTypes!.some((t) => t.name === 'threads.Data')).toBe(true);
      expect(written).toBe(false);
    } finally {
      lock.release();
    }
    expect((await write).typeId).toBeGreaterThan(0n);
  });

  it('a cancelled call rolls back at its next statement; a cancelled queued call leaves the queue at once', async () => {
    const lock = holdWriteLock(config.filename);
    const runningAbort = new AbortController();
    const queuedAbort = new AbortController();
    // Two threads: both writes start and wait for the lock; the third call queues.
    const running = codeOf(threads.call('putArtifactType', { artifactType: { name: 'threads.Cancelled' } }, { signal: runningAbort.signal }));
    const other = threads.call('putArtifactType', { artifactType: { name: 'threads.Kept' } });
    await sleep(100);
    const queued = codeOf(threads.call('getArtifactTypes', {}, { signal: queuedAbort.signal }));
    expect(threads.stats().numPendingAcquires()).toBe(1);
    queuedAbort.abort(new MlmdError(StatusCode.DEADLINE_EXCEEDED, 'deadline passed'));
    expect(await queued).toEqual({ code: StatusCode.DEADLINE_EXCEEDED, message: 'deadline passed', isMlmd: true });
    expect(threads.stats().numPendingAcquires()).toBe(0);
    runningAbort.abort();
    await sleep(50);
    lock.release();
    expect((await running).code).toBe(StatusCode.CANCELLED);
    await other;
    const names = (await direct.call('getArtifactTypes', {})).artifactTypes!.map((t) => t.name);
    expect(names).toContain('threads.Kept');
    expect(names).not.toContain('threads.Cancelled');
  });

  it('shutdown past its grace (abortCalls) rolls back running calls with its reason', async () => {
    const lock = holdWriteLock(config.filename);
    const running = codeOf(threads.call('putArtifactType', { artifactType: { name: 'threads.Abandoned' } }));
    await sleep(100);
    expect(threads.abortCalls(unavailable('The server is shutting down.'))).toBe(1);
    lock.release();
    expect(await running).toEqual({ code: StatusCode.UNAVAILABLE, message: 'The server is shutting down.', isMlmd: true });
    const names = (await direct.call('getArtifactTypes', {})).artifactTypes!.map((t) => t.name);
    expect(names).not.toContain('threads.Abandoned');
  });

  it('passes a tenancy scope without its callback, and answers', async () => {
    const denials: unknown[] = [];
    const response = await threads.call('getArtifactTypes', {}, {
      tenancy: { mode: 'audit', principal: 'user:a', readable: new Set(['team-a']), writable: 'all', unownedVisible: true, onDenial: (d) => denials.push(d) },
    });
    expect(response.artifactTypes!.length).toBeGreaterThan(0);
  });

  it("with the process's write turns, writes wait for theirs without holding a thread, and go in arrival order", async () => {
    const pool = await StoreThreads.open({ config, schemaVersion: db.schemaVersion, timeouts: TIMEOUTS, threads: 2, observer: recorder, writeTurns: db.writeTurns });
    try {
      for (const until = Date.now() + 60_000; pool.stats().numFree() < 2 && Date.now() < until; ) await sleep(50);
      // The process's own write unit (as a purge batch is) holds the turn until released.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const own = db.transaction(async (tx) => {
        await tx.knex.raw(`UPDATE ${tx.table('MLMDEnv')} SET schema_version = schema_version`);
        await held;
      });
      await sleep(50);
      const writes = ['threads.Turn1', 'threads.Turn2', 'threads.Turn3'].map((name) => pool.call('putArtifactType', { artifactType: { name } }));
      const abort = new AbortController();
      const cancelled = codeOf(pool.call('putArtifactType', { artifactType: { name: 'threads.TurnCancelled' } }, { signal: abort.signal }));
      await sleep(100);
      expect(db.writeTurns!.waiting).toBe(4);
      expect(pool.stats().numUsed()).toBe(0);
      // Reads take no turn and find both threads free.
      expect((await pool.call('getArtifactTypes', {})).artifactTypes!.length).toBeGreaterThan(0);
      abort.abort(new MlmdError(StatusCode.DEADLINE_EXCEEDED, 'deadline passed'));
      expect(await cancelled).toEqual({ code: StatusCode.DEADLINE_EXCEEDED, message: 'deadline passed', isMlmd: true });
      expect(db.writeTurns!.waiting).toBe(3);
      release();
      await own;
      const ids = (await Promise.all(writes)).map((r) => r.typeId!);
      expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
      const names = (await direct.call('getArtifactTypes', {})).artifactTypes!.map((t) => t.name);
      expect(names).not.toContain('threads.TurnCancelled');
    } finally {
      await pool.close();
    }
  }, 90_000);

  it('with bounded reads inline, a small by-id read is answered on the event loop while the one thread is busy; lists and large requests wait for it', async () => {
    const pool = await StoreThreads.open({ config, schemaVersion: db.schemaVersion, timeouts: TIMEOUTS, threads: 1, observer: recorder, boundedReadsInline: true });
    const wire = <M extends RpcMethod>(method: M, request: unknown) => new Uint8Array(MetadataStoreServiceService[method].requestSerialize(request as never));
    try {
      const { typeId } = await direct.call('putArtifactType', { artifactType: { name: 'threads.Inline' } });
      const { artifactIds } = await direct.call('putArtifacts', { artifacts: [{ typeId, uri: 'inline://1' }] });
      const held = holdWriteLock(config.filename);
      let released = false;
      const lock = { release: () => (released ? undefined : ((released = true), held.release())) };
      // The one thread waits for SQLite's write lock (no write turns here).
      const write = pool.call('putArtifactType', { artifactType: { name: 'threads.InlineBlocked' } });
      await sleep(100);
      try {
        expect(pool.stats().numUsed()).toBe(1);
        const byId = (await pool.callForWire('getArtifactsById', wire('getArtifactsById', { artifactIds }))) as { artifacts: { uri?: string }[] };
        expect(byId.artifacts.map((a) => a.uri)).toEqual(['inline://1']);
        const list = pool.callForWire('getArtifacts', wire('getArtifacts', {}));
        const large = pool.callForWire('getArtifactsById', wire('getArtifactsById', { artifactIds: Array.from({ length: 2000 }, (_, i) => BigInt(1_000_000 + i)) }));
        await sleep(50);
        expect(pool.stats().numPendingAcquires()).toBe(2);
        lock.release();
        await Promise.all([write, list, large]);
      } finally {
        lock.release();
      }
      expect(pool.stats().numPendingAcquires()).toBe(0);
    } finally {
      await pool.close();
    }
  }, 90_000);

  it('close() lets the call in flight finish, then refuses new ones', async () => {
    const pool = await StoreThreads.open({ config, schemaVersion: db.schemaVersion, timeouts: TIMEOUTS, threads: 1, observer: recorder });
    const lock = holdWriteLock(config.filename);
    const write = pool.call('putArtifactType', { artifactType: { name: 'threads.BeforeClose' } });
    await sleep(100);
    setTimeout(() => lock.release(), 200);
    await pool.close();
    expect((await write).typeId).toBeGreaterThan(0n);
    expect((await codeOf(pool.call('getArtifactTypes', {}))).code).toBe(StatusCode.UNAVAILABLE);
  }, 60_000);
});
