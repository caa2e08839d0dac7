import type { Dialect } from '../../database/config';

/**
 * A string as the node tables' unique indexes compare it. Upstream's MySQL tables take the
 * server's default collation, which ignores case; matching request names and external ids
 * to stored rows in memory must fold case there too, or a stored row the index considers
 * equal would be missed (and its create would then clash).
 */
export function collationKey(dialect: Dialect, value: string): string {
  return dialect === 'mysql' ? value.toLowerCase() : value;
}
