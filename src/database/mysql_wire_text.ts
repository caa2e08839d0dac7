import type { Knex } from 'knex';

/**
 * Upstream's MySQL client talks to the server in a latin1 session and sends the UTF-8 bytes of
 * every string unchanged, so MySQL stores what it believes are latin1 characters (see
 * shared spec, storage §2.10). To read and write the very same bytes we open latin1 sessions
 * too and move text across as "binary strings": one JS char per UTF-8 byte.
 */
export function toLatin1Wire(value: string): string {
  // Pure ASCII is identical in both forms; skip the copy for the common case.
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(value) ? value : Buffer.from(value, 'utf8').toString('latin1');
}

const BINARY_CHARSET = 63;
const TEXT_TYPES = new Set(['VAR_STRING', 'STRING', 'VARCHAR', 'BLOB', 'TINY_BLOB', 'MEDIUM_BLOB', 'LONG_BLOB']);

interface Mysql2Field {
  type: string;
  characterSet?: number;
  buffer(): Buffer | null;
}

/** mysql2 `typeCast`: text columns arrive as latin1-session bytes; decode them as UTF-8. */
export function latin1SessionTypeCast(field: Mysql2Field, next: () => unknown): unknown {
  if (TEXT_TYPES.has(field.type) && field.characterSet !== BINARY_CHARSET) {
    const bytes = field.buffer();
    return bytes === null ? null : bytes.toString('utf8');
  }
  return next();
}

/**
 * Builds a Knex client class for mysql2 that converts string bindings to binary strings just
 * before they are sent, so repositories keep working with ordinary JS strings.
 */
export function latin1WireClient(Mysql2Client: typeof Knex.Client): typeof Knex.Client {
  class Latin1WireMysql2Client extends (Mysql2Client as unknown as new (config: Knex.Config) => {
    _query(connection: unknown, obj: { bindings?: unknown[] }): Promise<unknown>;
  }) {
    override _query(connection: unknown, obj: { bindings?: unknown[] }): Promise<unknown> {
      if (obj && Array.isArray(obj.bindings)) {
        obj.bindings = obj.bindings.map((b) => (typeof b === 'string' ? toLatin1Wire(b) : b));
      }
      return super._query(connection, obj);
    }
  }
  return Latin1WireMysql2Client as unknown as typeof Knex.Client;
}
