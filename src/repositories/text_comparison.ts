import type { Dialect } from '../database/config';

/**
 * The one rule for matching request text (names, versions, external ids) to stored rows in
 * memory the way the database's unique indexes and `WHERE col = ?` compare it.
 *
 * SQLite and PostgreSQL compare exactly. On MySQL/MariaDB upstream's tables take the default
 * collation, which ignores ASCII case and (latin1_swedish_ci, MariaDB's defaults: PAD SPACE)
 * trailing spaces. Text travels as UTF-8 bytes in a latin1 session (mysql_wire_text.ts), so
 * only ASCII letters fold: JS toLowerCase() would equate 'É' and 'é', which the server, seeing
 * two different byte pairs, keeps apart. Where the collation equates more than this key
 * (accent folding of latin1 letters), callers let the database pair rows up itself
 * (node_key_match.ts); the key must never equate what the database keeps apart.
 * test/repositories/text_comparison.test.ts checks both directions on every backend.
 */
export function textComparisonKey(dialect: Dialect, text: string): string {
  if (dialect !== 'mysql') return text;
  return text.replace(/ +$/, '').replace(/[A-Z]/g, (c) => c.toLowerCase());
}
