import { expect } from 'vitest';
import type { Database } from '../../src/database/database';
import { MLMD_TABLES } from '../../src/database/tables';
import type { MlmdError, StatusCode } from '../../src/errors';

/**
 * Helpers shared by the store-level suites: database snapshots to prove a rejected call left
 * no trace, statement counters for the "1 vs 1,000" scaling checks, and row-level type
 * creation for suites that must not depend on the type RPCs.
 */

let counter = 0;
/** A name no other call in this test process returns, so suites can share one database. */
export function uniqueName(prefix = 'n'): string {
  counter += 1;
  return `${prefix}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
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

const FRAME_STATEMENT = /^\s*(begin|commit|rollback|start transaction|set transaction)\b[^;]*(;\s*|$)/i;

/**
 * The statements of the work itself, one per packet sent: the transaction frame left out,
 * whether it went alone (BEGIN, COMMIT) or, on MySQL, folded in front of the unit's first
 * statement (`START TRANSACTION; select …`, src/database/mysql_folded_begin.ts).
 */
export function workStatements(sql: readonly string[]): string[] {
  const work: string[] = [];
  for (let statement of sql) {
    while (FRAME_STATEMENT.test(statement)) statement = statement.replace(FRAME_STATEMENT, '');
    if (statement.trim() !== '') work.push(statement);
  }
  return work;
}

/** Runs `work` and returns how many SQL statements Knex sent meanwhile. */
export async function countStatements<T>(db: Database, work: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const { result, sql } = await statementsDuring(db, work);
  return { result, statements: sql.length };
}

export const isUpdate = (sql: string) => /^\s*update\b/i.test(sql);

/**
 * Runs `call`, which must fail (with `code` and a message matching `phrase` when given), and
 * checks that every MLMD table holds as many rows as before. Returns the error for further checks.
 */
export async function expectRejectedWithoutTrace(
  db: Database,
  call: () => Promise<unknown>,
  code?: StatusCode,
  phrase?: RegExp,
): Promise<MlmdError> {
  const before = await rowCounts(db);
  const outcome = await call().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error: error as MlmdError }),
  );
  if (outcome.ok) {
    expect.fail(`expected the call to fail, it answered ${JSON.stringify(outcome.value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
  }
  const error = outcome.error;
  if (code !== undefined) expect({ code: error.code, message: error.message }).toMatchObject({ code });
  if (phrase) expect(error.message).toMatch(phrase);
  expect(await rowCounts(db), 'a rejected call changed the database').toEqual(before);
  return error;
}

const TYPE_KIND = { execution: 0, artifact: 1, context: 2 } as const;
export type NodeKind = keyof typeof TYPE_KIND;

/**
 * Creates a type as plain rows, for suites whose subject is not the type RPCs. `properties`
 * maps property names to PropertyType numbers. The name is unique per call unless given.
 */
export async function insertType(
  db: Database,
  kind: NodeKind,
  properties: Record<string, number> = {},
  options: { name?: string; version?: string } = {},
): Promise<{ id: bigint; name: string }> {
  const name = options.name ?? uniqueName(`t_${kind}`);
  const id = await db.transaction(async (tx) => {
    const [typeId] = await tx.insertReturningIds('Type', [{ name, version: options.version ?? null, type_kind: TYPE_KIND[kind] }]);
    const props = Object.entries(properties).map(([p, dataType]) => ({ type_id: typeId, name: p, data_type: dataType }));
    if (props.length > 0) await tx.knex(tx.table('TypeProperty')).insert(props);
    return typeId;
  });
  return { id: BigInt(id), name };
}
