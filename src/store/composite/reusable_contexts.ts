import type { Tx } from '../../database/database';
import type { Context } from '../../generated/ml_metadata/proto/metadata_store';
import { storedIdOf } from '../../repositories/stored_ids';
import { matchNodesByTypeAndName } from '../../repositories/node_key_match';
import { nodesWithTypeAndNames } from '../../repositories/node_write_repository';
import { textComparisonKey } from '../../repositories/text_comparison';

/** Identity of a (type_id, name) pair as the unique index sees it. */
export const nameKeyFor =
  (dialect: Tx['dialect']) =>
  (typeId: number, name: string): string =>
    `${typeId}\u0000${textComparisonKey(dialect, name)}`;

/**
 * reuse_context_if_already_exist: the stored contexts that request contexts without id name
 * by (type_id, name), keyed by `nameKey`, looked up for every candidate at once.
 */
export async function findReusableContexts(
  tx: Tx,
  contexts: readonly Context[],
  nameKey: (typeId: number, name: string) => string,
): Promise<Map<string, bigint>> {
  const candidates: { typeId: number; name: string }[] = [];
  for (const c of contexts) {
    const typeId = c.typeId === undefined ? null : storedIdOf(c.typeId);
    if (c.id === undefined && typeId !== null && c.name !== undefined) candidates.push({ typeId, name: c.name });
  }
  const stored = new Map<string, bigint>();
  if (candidates.length === 0) return stored;
  const rows = await nodesWithTypeAndNames(
    tx,
    'context',
    candidates.map((p) => [p.typeId, p.name]),
  );
  for (const row of rows) stored.set(nameKey(row.type_id, row.name!), BigInt(row.id));
  // A stored row that no candidate's key matches means the collation equates strings the
  // key tells apart (accents, trailing spaces): let the database pair them up itself.
  const candidateKeys = new Set(candidates.map((c) => nameKey(c.typeId, c.name)));
  if (rows.some((row) => !candidateKeys.has(nameKey(row.type_id, row.name!)))) {
    const matched = await matchNodesByTypeAndName(tx, 'context', candidates);
    matched.forEach((id, k) => stored.set(nameKey(candidates[k].typeId, candidates[k].name), BigInt(id)));
  }
  return stored;
}
