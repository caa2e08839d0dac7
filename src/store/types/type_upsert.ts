import type { Tx } from '../../database/database';
import { lockTypeIdentities } from '../../repositories/type_write_lock';
import { unimplemented } from '../../errors';
import { applyEntry } from './type_entry_apply';
import type { TypeUpsertEntry, TypeUpsertOptions } from './type_upsert_entry';
import { writeChanges } from './type_upsert_writes';
import { loadWorkingSet } from './type_working_set';
import type { WorkingType } from './working_type';

/**
 * Upserts types in request order (contract §4): a type is found by (kind, name, version) and
 * created when absent, or checked for compatible evolution and merged. Later entries see what
 * earlier ones did. All reads happen up front and all writes at the end, so the statement
 * count does not depend on how many types the request carries. Returns ids index-aligned with
 * `entries`. Any error leaves the transaction to roll back with nothing applied.
 */
export async function upsertTypes(tx: Tx, entries: readonly TypeUpsertEntry[], options: TypeUpsertOptions): Promise<number[]> {
  if (!options.allFieldsMatch) throw unimplemented('Must match all fields.');
  if (entries.length === 0) return [];

  // Re-registering stored, unchanged types (every TFX and Kubeflow launch does) only reads, and
  // takes no lock: what it answers (ids, compatibility) never changes once committed.
  // Those reads run before the transaction begins (on SQLite the write lock taken at BEGIN is
  // what makes the plan below safe to write, so there they stay inside it).
  let results: WorkingType[] | undefined;
  try {
    const plan = () => planUpserts(tx, entries, options, false);
    results = await (tx.dialect === 'sqlite' ? plan() : tx.unframed(plan));
  } catch {
    // An answer from unlocked reads may be out of date (an external id moved on meanwhile):
    // only the locked pass below may fail the call.
  }
  if (results !== undefined && !results.some(needsWrite)) return results.map((w) => w.id!);

  // SQLite serialises writers itself: a plan made on a snapshot another writer has since
  // changed cannot commit (SQLITE_BUSY_SNAPSHOT, retried whole), so it stands as it is.
  if (results !== undefined && tx.dialect === 'sqlite') {
    await writeChanges(tx, [...new Set(results)]);
    return results.map((w) => w.id!);
  }
  // Something must change: serialise with other writers of the same types, then plan again on
  // what is committed now (locking reads on MySQL, whose plain reads keep the first snapshot).
  const named = entries.filter((e) => e.type.name);
  await lockTypeIdentities(
    tx,
    named.map((e) => ({ kind: e.spec.kind, name: e.type.name!, version: e.type.version || undefined })),
  );
  results = await planUpserts(tx, entries, options, tx.dialect === 'mysql');
  await writeChanges(tx, [...new Set(results)]);
  return results.map((w) => w.id!);
}

/** Whether upserting left `w` different from what is stored. */
function needsWrite(w: WorkingType): boolean {
  return w.id === undefined || w.addedProperties.size > 0 || w.newParentIds.length > 0 || w.externalIdChanged;
}

/**
 * Every entry's type as the request leaves it, from what is stored (read with locking reads
 * when `lockingReads`) and the entries before it; no writes. Throws what upstream answers.
 */
async function planUpserts(
  tx: Tx,
  entries: readonly TypeUpsertEntry[],
  options: TypeUpsertOptions,
  lockingReads: boolean,
): Promise<WorkingType[]> {
  const set = await loadWorkingSet(tx, entries, lockingReads);
  // In request order: later entries see what earlier ones did.
  return entries.map((entry) => applyEntry(set, entry, options));
}
