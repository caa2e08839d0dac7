/**
 * `Type.id` is a 32-bit column on MySQL and PostgreSQL (SERIAL); PostgreSQL rejects a larger
 * bound value outright, which would fail the whole read. No stored type can have such an id,
 * so requested ids outside the column's range are simply not found.
 */
const MAX_TYPE_ID = 2 ** 31 - 1;

export function storableTypeIds(ids: readonly bigint[]): number[] {
  return ids.filter((id) => id >= 1n && id <= BigInt(MAX_TYPE_ID)).map(Number);
}
