import type { Knex } from 'knex';

/**
 * On MySQL/MariaDB a unit's BEGIN travels in the same packet as its first statement
 * (`START TRANSACTION; <statement>`), so a transaction costs one round trip less: a write of
 * three statements was five round trips (BEGIN, three statements, COMMIT) and is four.
 *
 * Why: round trips are what a small RPC spends its time on (issue 10's profiles: half the
 * server's time idle, waiting for the database), and on a cluster each one is a network hop.
 * The first statement never depends on the BEGIN's answer, only on its order, and MySQL runs
 * the statements of one packet in order and stops at the first that fails: if BEGIN fails, the
 * statement after it never runs; if the statement fails, the transaction is open and the unit
 * rolls back as it always did.
 *
 * How: the connections allow several statements per packet (`multipleStatements`), which only
 * matters to text that is not ours: every value still reaches the SQL as an escaped binding
 * (repositories never splice values into SQL), so no value can add a statement. The unit's
 * frame (unit_frame.ts) holds the BEGIN back until the unit's first statement and prefixes that
 * statement with it; the client below hands Knex the first statement's answer as if it had gone
 * alone.
 */

/** Set on a Knex query object whose SQL was prefixed: how many statements come before its own. */
export const FOLDED_STATEMENTS = 'mlmdFoldedStatements';

interface QueryObject {
  sql?: string;
  response?: [unknown, unknown];
  [FOLDED_STATEMENTS]?: number;
}

/** Prefixes `obj`'s statement with `statements` (in place), to be unwrapped by the client below. */
export function foldStatementsBefore(obj: QueryObject, statements: readonly string[]): void {
  obj.sql = `${statements.join('; ')}; ${obj.sql ?? ''}`;
  obj[FOLDED_STATEMENTS] = statements.length;
}

/**
 * A Knex MySQL client class whose connections accept several statements per packet, and that
 * answers a folded query with its last statement's result (mysql2 answers a multi-statement
 * packet with one result and one field list per statement).
 */
export function withFoldedBegin(Base: typeof Knex.Client): typeof Knex.Client {
  class FoldedBeginClient extends (Base as unknown as new (config: Knex.Config) => {
    _query(connection: unknown, obj: QueryObject): Promise<unknown>;
  }) {
    override async _query(connection: unknown, obj: QueryObject): Promise<unknown> {
      const result = await super._query(connection, obj);
      const folded = obj?.[FOLDED_STATEMENTS];
      if (folded && obj.response) {
        const [rows, fields] = obj.response as [unknown[], unknown[] | undefined];
        obj.response = [rows[folded], fields?.[folded]];
      }
      return result;
    }
  }
  return FoldedBeginClient as unknown as typeof Knex.Client;
}
