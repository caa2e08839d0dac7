import type { Event, Event_Path_Step } from '../../generated/ml_metadata/proto/metadata_store';
import type { StoredEvent, StoredStep } from '../../repositories/event_repository';

/**
 * An event as upstream returns it (contract §2.5): ids, type and time always set, `path`
 * only when at least one step is stored, `system_metadata` never.
 */
export function eventMessage(stored: StoredEvent): Event {
  const event: Event = {
    artifactId: BigInt(stored.artifactId),
    executionId: BigInt(stored.executionId),
    type: stored.type,
  };
  if (stored.millisecondsSinceEpoch !== null) event.millisecondsSinceEpoch = stored.millisecondsSinceEpoch;
  if (stored.steps.length > 0) event.path = { steps: stored.steps.map(stepMessage) };
  return event;
}

function stepMessage(step: StoredStep): Event_Path_Step {
  return step.kind === 'index' ? { index: step.index } : { key: step.key };
}
