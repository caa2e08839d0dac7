import type { Tx } from '../database/database';

/**
 * Runs one prebuilt SELECT (`?` placeholders) and returns its rows, whatever shape the driver
 * answers a raw statement in: mysql2 gives [rows, fields], pg a result with `rows`,
 * better-sqlite3 the rows themselves. Hot paths use it instead of a query builder per call.
 */
export async function selectRows<R>(tx: Tx, sql: string, bindings: readonly (string | number | bigint | boolean | null)[]): Promise<R[]> {
  const result: unknown = await tx.knex.raw(sql, bindings as never);
  switch (tx.dialect) {
    case 'mysql':
      return (result as [R[], unknown])[0];
    case 'postgres':
      return (result as { rows: R[] }).rows;
    case 'sqlite':
      return result as R[];
  }
}
