import { afterAll, beforeAll } from 'vitest';
import { openDatabase, type Database } from '../../src/database';
import type { DatabaseObserver, RetryReason } from '../../src/database/observer';
import { NO_OP_OBSERVER } from '../../src/database/observer';
import { MetadataStore } from '../../src/store/metadata_store';
import type { RequestOf, ResponseOf, RpcMethod } from '../../src/store/rpc';
import { describeEachBackend, type TestBackend } from '../support/backends';
import { MLMD_MIGRATIONS } from '../../migrations';

export interface StoreUnderTest {
  backend: TestBackend;
  db: Database;
  store: MetadataStore;
  /** Transactions the database layer re-ran since the suite started, by reason. */
  retries: RetryReason[];
  call<M extends RpcMethod>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>;
}

/**
 * Declares `body` once per backend (SQLite, MariaDB, PostgreSQL), each over a fresh MLMD
 * database with the store on top and a pool of 8 connections, so concurrent calls really run
 * side by side on the servers. Tests in one file share the database: they create what they
 * need under unique names.
 */
export function describeStore(title: string, body: (ctx: () => StoreUnderTest) => void): void {
  describeEachBackend(title, (backend) => {
    let ctx: StoreUnderTest | undefined;
    beforeAll(async () => {
      const retries: RetryReason[] = [];
      const observer: DatabaseObserver = { ...NO_OP_OBSERVER, transactionRetried: (reason) => retries.push(reason) };
      const config = await backend.freshDatabaseConfig();
      const db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 8 }, observer);
      const store = new MetadataStore(db);
      ctx = { backend, db, store, retries, call: (method, request) => store.call(method, request) };
    });
    afterAll(async () => {
      await ctx?.db.close();
    });
    body(() => ctx!);
  });
}
