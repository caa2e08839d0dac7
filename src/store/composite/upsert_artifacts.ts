import type { Tx } from '../../database/database';
import type { Artifact } from '../../generated/ml_metadata/proto/metadata_store';
import { matchNodesByExternalId } from '../../repositories/node_key_match';
import { nodesWithExternalIds } from '../../repositories/node_write_repository';
import { putNodes } from '../nodes/put_nodes';
import { textComparisonKey } from '../../repositories/text_comparison';
import { writableIds } from '../tenancy/write_access';

/**
 * How two request artifacts with the same external id that is new to the database are
 * treated under `reuse_artifact_if_already_exist_by_external_id` (contract §5.10):
 * PutExecution looks each artifact up right before writing it, so the first creates it and
 * later ones update it ('sequential'); PutLineageSubgraph looks all of them up before
 * writing any, so both try to create it and the second clashes ('upfront').
 */
export type ExternalIdResolution = 'sequential' | 'upfront';

export interface ArtifactUpsertOptions {
  reuseByExternalId: boolean;
  resolution: ExternalIdResolution;
  /** How messages name the i-th artifact of `artifacts`. */
  fieldOf: (index: number) => string;
}

/**
 * Creates or updates `artifacts` (unmasked, contract §5.1-§5.5) and answers their ids in
 * order. With reuse by external id, an artifact without id whose non-empty external_id is
 * stored becomes an unmasked update of that artifact. Statements: one external-id lookup
 * plus putNodes; a second putNodes only when the request repeats an external id new to the
 * database ('sequential').
 */
export async function upsertArtifacts(tx: Tx, artifacts: readonly Artifact[], options: ArtifactUpsertOptions): Promise<bigint[]> {
  if (artifacts.length === 0) return [];
  if (!options.reuseByExternalId) return putNodes(tx, 'artifact', artifacts, { fieldOf: options.fieldOf });
  const key = (externalId: string) => textComparisonKey(tx.dialect, externalId);

  const reusable = (a: Artifact) => a.id === undefined && a.externalId !== undefined && a.externalId !== '';
  const externalIds = artifacts.filter(reusable).map((a) => a.externalId!);
  const stored = new Map<string, bigint>();
  if (externalIds.length > 0) {
    const rows = await nodesWithExternalIds(tx, 'artifact', externalIds);
    for (const row of rows) stored.set(key(row.external_id!), BigInt(row.id));
    // As for context names: a stored external id no request key matches is paired by the database.
    const requested = new Set(externalIds.map(key));
    if (rows.some((row) => !requested.has(key(row.external_id!)))) {
      const matched = await matchNodesByExternalId(tx, 'artifact', externalIds);
      matched.forEach((id, k) => stored.set(key(externalIds[k]), BigInt(id)));
    }
    // An artifact the caller may not write is not reused (tenancy enforce); creating it again
    // meets global external-id uniqueness, as for any external id taken elsewhere.
    if (stored.size > 0) {
      const allowed = new Set(await writableIds(tx, 'artifact', [...stored.values()].map(Number)));
      for (const [k, id] of stored) if (!allowed.has(Number(id))) stored.delete(k);
    }
  }

  // Request artifacts that update the artifact an earlier request artifact creates.
  const laterCopies: { index: number; creatorIndex: number }[] = [];
  const creatorOf = new Map<string, number>();
  const firstPass: { index: number; artifact: Artifact }[] = [];
  artifacts.forEach((artifact, index) => {
    if (!reusable(artifact)) return firstPass.push({ index, artifact });
    const storedId = stored.get(key(artifact.externalId!));
    if (storedId !== undefined) return firstPass.push({ index, artifact: { ...artifact, id: storedId } });
    const creator = creatorOf.get(key(artifact.externalId!));
    if (options.resolution === 'sequential' && creator !== undefined) return laterCopies.push({ index, creatorIndex: creator });
    creatorOf.set(key(artifact.externalId!), index);
    return firstPass.push({ index, artifact });
  });

  const ids: bigint[] = new Array<bigint>(artifacts.length);
  const firstIds = await putNodes(
    tx,
    'artifact',
    firstPass.map((p) => p.artifact),
    { fieldOf: (k) => options.fieldOf(firstPass[k].index) },
  );
  firstPass.forEach((p, k) => (ids[p.index] = firstIds[k]));
  if (laterCopies.length > 0) {
    const copies = laterCopies.map((c) => ({ ...artifacts[c.index], id: ids[c.creatorIndex] }));
    const copyIds = await putNodes(tx, 'artifact', copies, { fieldOf: (k) => options.fieldOf(laterCopies[k].index) });
    laterCopies.forEach((c, k) => (ids[c.index] = copyIds[k]));
  }
  return ids;
}
