import { Event_Type } from '../../generated/ml_metadata/proto/metadata_store';

/**
 * Whether an Event.type may be stored. UNKNOWN counts as "no type". A number outside the
 * enum is one upstream's proto2 parser would have kept as an unknown field, leaving `type`
 * unset, so it is "no type" as well.
 */
export function isStorableEventType(type: number): boolean {
  return Number.isInteger(type) && type >= Event_Type.DECLARED_OUTPUT && type <= Event_Type.PENDING_OUTPUT;
}
