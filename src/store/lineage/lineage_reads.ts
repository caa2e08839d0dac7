import type { Tx } from '../../database/database';
import type { Event } from '../../generated/ml_metadata/proto/metadata_store';
import { eventPathSteps } from '../../repositories/event_repository';
import type { EventEdgeRow } from '../../repositories/lineage_repository';
import { listTypes } from '../../repositories/type_repository';
import { eventMessage } from '../events/event_message';
import type { TypeKindSpec } from '../types/type_kind_spec';
import { typeMessage } from '../types/type_message';

/** Lineage responses carry every type of a kind, without base_type or external_id (contract §2.6). */
export async function allTypesForLineage(tx: Tx, spec: TypeKindSpec) {
  const records = await listTypes(tx, spec.kind);
  return records.map((r) => typeMessage(r, spec, { externalId: false, baseType: false, structTypes: true }));
}

/** Full events (with paths) for the traversed event rows, in the same order. */
export async function hydrateEvents(tx: Tx, rows: EventEdgeRow[]): Promise<Event[]> {
  const steps = await eventPathSteps(
    tx,
    rows.map((r) => r.id),
  );
  return rows.map((r) =>
    eventMessage({
      id: r.id,
      artifactId: r.artifact_id,
      executionId: r.execution_id,
      type: r.type,
      millisecondsSinceEpoch: r.milliseconds_since_epoch,
      steps: steps.get(r.id) ?? [],
    }),
  );
}
