import { describe, expect, it } from 'vitest';
import { classifyDbError } from '../../src/database/db_errors';
import { toMlmdError } from '../../src/database/transaction_runner';
import { StatusCode } from '../../src/errors';

/** A driver error as Knex hands it on: the statement in front of the driver's message. */
function knexError(fields: Record<string, unknown>, driverMessage: string, sql = 'ROLLBACK'): Error {
  return Object.assign(new Error(`${sql} - ${driverMessage}`), fields, { driverMessage });
}

describe('database error classification', () => {
  it.each([
    // mysql2 on a dead connection: no code, fatal
    ['mysql', knexError({ fatal: true }, "Can't add new command when connection is in closed state"), 'connection'],
    ['mysql', knexError({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }, 'Connection lost: The server closed the connection.'), 'connection'],
    ['mysql', knexError({ errno: 1927, code: 'ER_CONNECTION_KILLED' }, 'Connection was killed'), 'connection'],
    ['mysql', knexError({ errno: 4031 }, 'The client was disconnected by the server because of inactivity.'), 'connection'],
    // a packet over max_allowed_packet closes the connection, but the value is the problem
    ['mysql', knexError({ errno: 1153, fatal: true }, "Got a packet bigger than 'max_allowed_packet' bytes"), 'too_large'],
    ['mysql', knexError({ errno: 1406 }, "Data too long for column 'string_value' at row 1"), 'too_large'],
    ['mysql', knexError({ errno: 1969 }, 'Query execution was interrupted (max_statement_time exceeded)'), 'statement_timeout'],
    ['mysql', knexError({ errno: 1213 }, 'Deadlock found when trying to get lock'), 'deadlock'],
    // TiDB
    ['mysql', knexError({ errno: 9007 }, 'Write conflict, txnStartTS=1 is stale'), 'serialization'],
    ['mysql', knexError({ errno: 8022 }, 'Error: KV error safe to retry'), 'serialization'],
    ['mysql', knexError({ errno: 8028 }, 'Information schema is changed during the execution'), 'serialization'],
    ['mysql', knexError({ errno: 9003 }, 'TiKV server is busy'), 'busy'],
    ['mysql', knexError({ errno: 9004 }, 'Resolve lock timeout'), 'busy'],
    ['mysql', knexError({ errno: 9001 }, 'PD server timeout'), 'connection'],
    ['mysql', knexError({ errno: 9002 }, 'TiKV server timeout'), 'connection'],
    ['mysql', knexError({ errno: 9005 }, 'Region is unavailable'), 'connection'],
    ['mysql', knexError({ errno: 8025 }, 'entry too large, the max entry size is 6291456'), 'too_large'],
    // pg: connection termination carries no code
    ['postgres', knexError({}, 'Connection terminated unexpectedly'), 'connection'],
    ['postgres', knexError({ code: '57P01' }, 'terminating connection due to administrator command'), 'connection'],
    ['postgres', knexError({}, 'timeout expired'), 'connection'],
    ['postgres', knexError({ code: '57014' }, 'canceling statement due to statement timeout'), 'statement_timeout'],
    ['postgres', knexError({ code: '40001' }, 'could not serialize access'), 'serialization'],
    ['postgres', knexError({ code: '22001' }, 'value too long for type character varying(255)'), 'too_large'],
    ['sqlite', knexError({ code: 'SQLITE_BUSY' }, 'database is locked'), 'busy'],
    ['sqlite', knexError({ code: 'SQLITE_TOOBIG' }, 'string or blob too big'), 'too_large'],
    ['mysql', knexError({ code: 'MLMD_DB_NO_ANSWER' }, 'the database did not answer within 3 s'), 'connection'],
    ['mysql', knexError({}, 'Knex: Timeout acquiring a connection. The pool is probably full.'), 'connection'],
    ['mysql', knexError({ errno: 1064 }, 'You have an error in your SQL syntax'), 'other'],
  ] as const)('%s: %s -> %s', (dialect, error, kind) => {
    expect(classifyDbError(dialect, error)).toBe(kind);
  });

  it('statuses: lost connections UNAVAILABLE, conflicts ABORTED, sizes INVALID_ARGUMENT, and never the SQL', () => {
    const lost = knexError({ fatal: true }, "Can't add new command when connection is in closed state", 'insert into `Artifact` (`uri`) values (?)');
    const cases: Array<[ReturnType<typeof toMlmdError>, StatusCode]> = [
      [toMlmdError(classifyDbError('mysql', lost), lost), StatusCode.UNAVAILABLE],
      [toMlmdError('serialization', knexError({ errno: 9007 }, 'Write conflict')), StatusCode.ABORTED],
      [toMlmdError('too_large', knexError({ errno: 1153 }, 'packet too big')), StatusCode.INVALID_ARGUMENT],
      [toMlmdError('statement_timeout', knexError({ errno: 1969 }, 'interrupted')), StatusCode.DEADLINE_EXCEEDED],
    ];
    for (const [error, code] of cases) {
      expect(error.code).toBe(code);
      expect(error.message).not.toMatch(/ROLLBACK|insert into|Artifact/);
    }
    expect(toMlmdError('connection', lost, { phase: 'committing' }).message).toMatch(/may or may not have been applied/);
  });
});
