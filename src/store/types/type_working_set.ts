import type { Tx } from '../../database/database';
import { findTypeIdsByExternalIds, findTypesByNames, type TypeKind, type TypeRecord } from '../../repositories/type_repository';
import { textComparisonKey } from '../../repositories/text_comparison';
import type { ExternalIdHolder } from './type_external_id_claim';
import type { TypeUpsertEntry } from './type_upsert_entry';
import { SPEC_BY_KIND, type WorkingType } from './working_type';

/** What an upsert request works on: every stored type it can touch, and who holds its external ids. */
export interface TypeWorkingSet {
  /** The stored types the request names, by name or as a base type. */
  stored: readonly TypeRecord[];
  /** Types by (kind, name, version), compared as the database's unique index compares them. */
  byIdentity: Map<string, WorkingType>;
  identityKey: (kind: TypeKind, name: string, version: string | undefined) => string;
  externalIdHolders: Map<string, ExternalIdHolder>;
}

/** Reads (with locking reads when `lockingReads`) the types and external ids `entries` can touch. */
export async function loadWorkingSet(tx: Tx, entries: readonly TypeUpsertEntry[], lockingReads: boolean): Promise<TypeWorkingSet> {
  const named = entries.filter((e) => e.type.name);
  const names = new Set(named.map((e) => e.type.name!));
  for (const e of entries) {
    const baseName = e.type.baseType === undefined ? undefined : e.spec.baseTypeNames.get(e.type.baseType);
    if (baseName !== undefined) names.add(baseName);
  }
  const stored = names.size > 0 ? await findTypesByNames(tx, [...names], undefined, { withParents: true, lockingReads }) : [];
  const externalIds = entries.flatMap((e) => (e.type.externalId === undefined ? [] : [e.type.externalId]));
  const holders = externalIds.length > 0 ? await findTypeIdsByExternalIds(tx, externalIds, { lockingReads }) : [];

  const comparable = (text: string) => textComparisonKey(tx.dialect, text);
  const identityKey = (kind: TypeKind, name: string, version: string | undefined) =>
    `${kind}\u0000${comparable(name)}\u0000${comparable(version ?? '')}`;
  const byIdentity = new Map<string, WorkingType>();
  for (const record of stored) {
    const key = identityKey(record.kind, record.name, record.version);
    // Upstream may have left duplicates; like its readers, the lowest id wins.
    if (byIdentity.has(key)) continue;
    byIdentity.set(key, {
      id: record.id,
      spec: SPEC_BY_KIND[record.kind],
      name: record.name,
      version: record.version,
      description: record.description,
      externalId: record.externalId,
      properties: new Map(record.properties),
      addedProperties: new Map(),
      parentIds: (record.parentTypes ?? []).map((p) => p.id),
      newParentIds: [],
      externalIdChanged: false,
    });
  }
  const externalIdHolders = new Map<string, ExternalIdHolder>();
  for (const h of holders) externalIdHolders.set(h.externalId, { kind: h.kind, id: h.id });

  return { stored, byIdentity, identityKey, externalIdHolders };
}
