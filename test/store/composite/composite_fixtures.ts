import { afterAll, beforeAll, expect } from 'vitest';
import { openDatabase, type Database } from '../../../src/database';
import type { DatabaseObserver, RetryReason } from '../../../src/database/observer';
import { NO_OP_OBSERVER } from '../../../src/database/observer';
import { MLMD_TABLES } from '../../../src/database/tables';
import type { MlmdError, StatusCode } from '../../../src/store/errors';
import { MetadataStore } from '../../../src/store/metadata_store';
import type { RequestOf, ResponseOf, RpcMethod } from '../../../src/store/rpc';
import { describeEachBackend, type TestBackend } from '../../support/backends';

export interface CompositeStore {
  backend: TestBackend;
  db: Database;
  store: MetadataStore;
  /** Transactions the database layer re-ran since the suite started, by reason. */
  retries: RetryReason[];
  call<M extends RpcMethod>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>;
}

/**
 * Declares `body` once per backend (SQLite, MariaDB, PostgreSQL) over a fresh MLMD database
 * with a pool of 8 connections, so concurrent calls really run side by side on the servers.
 */
export function describeCompositeStore(title: string, body: (ctx: () => CompositeStore) => void): void {
  describeEachBackend(title, (backend) => {
    let ctx: CompositeStore | undefined;
    beforeAll(async () => {
      const retries: RetryReason[] = [];
      const observer: DatabaseObserver = { ...NO_OP_OBSERVER, transactionRetried: (reason) => retries.push(reason) };
      const config = await backend.freshDatabaseConfig();
      const db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, poolMax: 8 }, observer);
      const store = new MetadataStore(db);
      ctx = { backend, db, store, retries, call: (method, request) => store.call(method, request) };
    });
    afterAll(async () => {
      await ctx?.db.close();
    });
    body(() => ctx!);
  });
}

let counter = 0;
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** PropertyType numbers. */
export const P = { INT: 1, DOUBLE: 2, STRING: 3, STRUCT: 4, PROTO: 5, BOOLEAN: 6 } as const;

export interface Types {
  artifact: bigint;
  execution: bigint;
  context: bigint;
  /** A second context type, for the pipeline / pipeline-run pair. */
  run: bigint;
}

/** One type of each kind, each declaring `p: INT`, through the type RPCs. */
export async function createTypes(ctx: CompositeStore): Promise<Types> {
  const properties = { p: P.INT };
  const { typeId: artifact } = await ctx.call('putArtifactType', { artifactType: { name: uniqueName('a'), properties } });
  const { typeId: execution } = await ctx.call('putExecutionType', { executionType: { name: uniqueName('e'), properties } });
  const { typeId: context } = await ctx.call('putContextType', { contextType: { name: uniqueName('c'), properties } });
  const { typeId: run } = await ctx.call('putContextType', { contextType: { name: uniqueName('run'), properties } });
  return { artifact: artifact!, execution: execution!, context: context!, run: run! };
}

/** Rows in every MLMD table, to prove a rejected call left the database as it was. */
export async function rowCounts(db: Database): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of MLMD_TABLES) {
    const [{ n }] = (await db.knex(db.table(table)).count({ n: '*' })) as { n: number | string }[];
    counts[table] = Number(n);
  }
  return counts;
}

/** The SQL text of every statement Knex sends while `work` runs. */
export async function statementsDuring<T>(db: Database, work: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
  const sql: string[] = [];
  const listener = (query: { sql: string }) => sql.push(query.sql);
  db.knex.on('query', listener);
  try {
    const result = await work();
    return { result, sql };
  } finally {
    db.knex.removeListener('query', listener);
  }
}

export const isUpdate = (sql: string) => /^\s*update\b/i.test(sql);

/**
 * Calls `method`, which must fail with `code`, and checks that the database is exactly as
 * before (row counts of every table). Returns the error for further checks.
 */
export async function expectRejected<M extends RpcMethod>(
  ctx: CompositeStore,
  method: M,
  request: RequestOf<M>,
  code: StatusCode,
  phrase?: RegExp,
): Promise<MlmdError> {
  const before = await rowCounts(ctx.db);
  const error = (await ctx.call(method, request).then(
    () => undefined,
    (e: unknown) => e,
  )) as MlmdError | undefined;
  expect(error, `${method} should have failed`).toBeDefined();
  expect({ code: error!.code, message: error!.message }).toMatchObject({ code });
  if (phrase) expect(error!.message).toMatch(phrase);
  expect(await rowCounts(ctx.db)).toEqual(before);
  return error!;
}

/** Member ids of a context straight from the membership tables, ascending. */
export async function membersOf(db: Database, contextId: bigint): Promise<{ artifacts: number[]; executions: number[] }> {
  const ids = async (table: 'Attribution' | 'Association', column: string) =>
    ((await db.knex(db.table(table)).select(column).where('context_id', Number(contextId)).orderBy(column)) as Record<string, number>[]).map(
      (r) => Number(r[column]),
    );
  return { artifacts: await ids('Attribution', 'artifact_id'), executions: await ids('Association', 'execution_id') };
}
