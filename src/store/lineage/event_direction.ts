import {
  Event_Type as EventType,
  LineageSubgraphQueryOptions_Direction as Direction,
} from '../../generated/ml_metadata/proto/metadata_store';

/** Events through which an execution consumed an artifact. */
const INPUT_LIKE = new Set<number>([EventType.DECLARED_INPUT, EventType.INPUT, EventType.INTERNAL_INPUT]);
/** Events through which an execution produced an artifact. */
const OUTPUT_LIKE = new Set<number>([
  EventType.DECLARED_OUTPUT,
  EventType.OUTPUT,
  EventType.INTERNAL_OUTPUT,
  EventType.PENDING_OUTPUT,
]);

/**
 * Whether a traversal moving in `direction` may cross an event of `type` when leaving a node
 * of the given kind. Upstream from an artifact means towards the execution that produced it;
 * upstream from an execution means towards what it consumed. Downstream is the mirror image.
 */
export function followsEvent(direction: Direction, fromArtifact: boolean, type: number): boolean {
  switch (direction) {
    case Direction.UPSTREAM:
      return fromArtifact ? OUTPUT_LIKE.has(type) : INPUT_LIKE.has(type);
    case Direction.DOWNSTREAM:
      return fromArtifact ? INPUT_LIKE.has(type) : OUTPUT_LIKE.has(type);
    default:
      return true;
  }
}

/** Directed traversals never meet an event twice, so events into visited nodes are kept. */
export function isDirected(direction: Direction): boolean {
  return direction === Direction.UPSTREAM || direction === Direction.DOWNSTREAM;
}
