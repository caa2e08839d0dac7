/**
 * Splits long id lists so a single statement stays far below every backend's bound-parameter
 * limit (SQLite 32,766; MySQL and PostgreSQL 65,535) and below MySQL's packet size.
 */
export const MAX_IDS_PER_STATEMENT = 10_000;

export function chunked<T>(items: readonly T[], size = MAX_IDS_PER_STATEMENT): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
