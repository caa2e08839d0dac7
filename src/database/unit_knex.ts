import type { Knex } from 'knex';

/**
 * Knex's query builder as a unit of work sees it: every builder and raw statement made from it
 * runs on the unit's own connection (Knex's `.connection(c)`), so the statements of one RPC
 * are one transaction without a Knex transaction object.
 *
 * Why not `knex.transaction()`: Knex builds a whole new Knex instance for every transaction
 * (every builder method defined again on a fresh function object), about 100 µs of CPU and
 * most of the garbage of a small RPC, paid once per call on the event loop (MySQL/PostgreSQL)
 * or in a store thread (SQLite). The transaction runner frames the unit itself
 * (transaction_runner.ts, unit_frame.ts); Knex only builds and runs statements.
 *
 * Only what builds statements is here (no `transaction`, `schema` or `destroy`), so nothing in
 * a unit can reach the pool behind its back.
 */
export interface UnitKnex {
  <TRecord extends {} = any, TResult = unknown[]>(table: Knex.TableDescriptor | Knex.AliasDict): Knex.QueryBuilder<TRecord, TResult>;
  from: Knex['from'];
  select: Knex['select'];
  count: Knex['count'];
  raw: Knex['raw'];
  /** The dialect client (what `dialectOf` reads). */
  readonly client: Knex['client'];
}

type Method = (this: Knex, ...args: unknown[]) => unknown;

/** `knex`'s builders, bound to `connection`. Cheap: a few closures per unit. */
export function unitKnex(knex: Knex, connection: unknown): UnitKnex {
  // Knex's builder methods read `this` (the instance); `.connection()` returns the builder.
  const onConnection =
    (method: Method) =>
    (...args: unknown[]) =>
      (method.apply(knex, args) as { connection(c: unknown): unknown }).connection(connection);
  return Object.assign(
    onConnection(function (this: Knex, table) {
      return this(table as string);
    }),
    {
      from: onConnection(knex.from as Method),
      select: onConnection(knex.select as Method),
      count: onConnection(knex.count as Method),
      raw: onConnection(knex.raw as Method),
      client: knex.client,
    },
  ) as unknown as UnitKnex;
}
