import type { Tx } from '../../database/database';
import { insertNodeRows, updateNodeRows, type NodeRowUpdate } from '../../repositories/node_write_repository';
import { deleteProperties, insertProperties, type PropertyKey, type PropertyWrite } from '../../repositories/property_repository';
import type { NodeKind } from '../../repositories/node_kind';
import { diffProperties } from './node_field_mask';
import type { NodeWritePlan } from './node_write_plan';

/**
 * Writes a validated plan: node rows, then property rows; each step is one statement per chunk.
 * Returns the new nodes' ids, in the order of `plan.creates`.
 */
export async function writeNodePlan(
  tx: Tx,
  kind: NodeKind,
  plan: NodeWritePlan,
  forceUpdate: boolean | undefined,
  abortIfLatestUpdatedTimeChanged: boolean | undefined,
): Promise<number[]> {
  const newIds = await insertNodeRows(tx, kind, plan.creates.map((c) => c.values));
  const deletes: PropertyKey[] = [];
  const inserts: PropertyWrite[] = [];
  plan.creates.forEach((c, i) => {
    for (const [name, value] of Object.entries(c.properties)) inserts.push({ nodeId: newIds[i], name, isCustom: false, value });
    for (const [name, value] of Object.entries(c.customProperties)) inserts.push({ nodeId: newIds[i], name, isCustom: true, value });
  });
  const rowUpdates: NodeRowUpdate[] = [];
  for (const [id, target] of plan.finals) {
    const original = plan.stored.get(id)!;
    const typedChanged = diffProperties(id, false, original.properties ?? {}, target.properties, deletes, inserts);
    const customChanged = diffProperties(id, true, original.customProperties ?? {}, target.customProperties, deletes, inserts);
    if (typedChanged || customChanged || plan.touchedBy.get(id) || forceUpdate) {
      const previous = Number(original.lastUpdateTimeSinceEpoch ?? 0n);
      // The optimistic check promises a strictly newer timestamp to the next reader.
      const time = abortIfLatestUpdatedTimeChanged ? Math.max(tx.nowMs, previous + 1) : tx.nowMs;
      rowUpdates.push({ id, values: target.values, lastUpdateTimeMs: time });
    }
  }
  await updateNodeRows(tx, kind, rowUpdates);
  await deleteProperties(tx, kind, deletes);
  await insertProperties(tx, kind, inserts);
  return newIds;
}
