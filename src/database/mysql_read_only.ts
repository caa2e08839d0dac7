import type { Knex } from 'knex';

type ClientClass = new (config: Knex.Config) => { transaction(...args: unknown[]): unknown };

/**
 * Knex begins a read-only MySQL transaction with two statements (`SET TRANSACTION READ ONLY`,
 * then `BEGIN`); MySQL and MariaDB say it in one, `START TRANSACTION READ ONLY`. This subclass
 * of a Knex MySQL client class begins read-only transactions that way, so a read RPC costs the
 * same round trips as before and runs on InnoDB's read-only path (no transaction id, no
 * locks); any write inside it fails with ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION.
 */
export function withOneStatementReadOnlyBegin(Base: typeof Knex.Client): typeof Knex.Client {
  // Knex's mysql2 transaction class is not part of its public typings; it is a stable module path.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const MysqlTransaction = require('knex/lib/dialects/mysql2/transaction') as new (...args: unknown[]) => {
    readOnly?: boolean;
    isolationLevel?: string;
    begin(connection: unknown): Promise<unknown>;
    query(connection: unknown, sql: string): Promise<unknown>;
  };
  class OneStatementReadOnlyTransaction extends MysqlTransaction {
    override begin(connection: unknown): Promise<unknown> {
      if (this.readOnly && !this.isolationLevel) return this.query(connection, 'START TRANSACTION READ ONLY;');
      return super.begin(connection);
    }
  }
  class ReadOnlyBeginClient extends (Base as unknown as ClientClass) {
    override transaction(...args: unknown[]): unknown {
      return new OneStatementReadOnlyTransaction(this, ...args);
    }
  }
  return ReadOnlyBeginClient as unknown as typeof Knex.Client;
}
