import type { Tx } from '../../database/database';
import { insertParentTypes, insertTypeProperties, insertTypes, updateTypeExternalIds, type TypePropertyRow } from '../../repositories/type_repository';
import type { WorkingType } from './working_type';

/** Every write of the request: a constant number of (multi-row) statements. */
export async function writeChanges(tx: Tx, touched: readonly WorkingType[]): Promise<void> {
  const created = touched.filter((w) => w.id === undefined);
  const isCreated = new Set(created);
  const ids = await insertTypes(
    tx,
    created.map((w) => ({
      name: w.name,
      kind: w.spec.kind,
      version: w.version,
      description: w.description,
      externalId: w.externalId,
      inputTypeJson: w.inputTypeJson,
      outputTypeJson: w.outputTypeJson,
    })),
  );
  created.forEach((w, i) => (w.id = ids[i]));

  const propertyRows: TypePropertyRow[] = [];
  for (const w of touched) {
    const added = isCreated.has(w) ? w.properties : w.addedProperties;
    for (const [name, dataType] of added) propertyRows.push({ typeId: w.id!, name, dataType });
  }
  await insertTypeProperties(tx, propertyRows);
  await insertParentTypes(
    tx,
    touched.flatMap((w) => w.newParentIds.map((parentTypeId) => ({ typeId: w.id!, parentTypeId }))),
  );
  await updateTypeExternalIds(
    tx,
    touched.filter((w) => w.externalIdChanged).map((w) => ({ id: w.id!, externalId: w.externalId! })),
  );
}
