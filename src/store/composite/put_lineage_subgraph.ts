import type { Event } from '../../generated/ml_metadata/proto/metadata_store';
import type { PutLineageSubgraphRequest_EventEdge } from '../../generated/ml_metadata/proto/metadata_store_service';
import { invalidArgument, MlmdError, StatusCode } from '../../errors';
import { writeEvents } from '../events/put_events';
import { putNodes } from '../nodes/put_nodes';
import type { RpcImpl } from '../rpc';
import { linkToContexts } from './link_to_contexts';
import { upsertArtifacts } from './upsert_artifacts';
import { upsertContexts } from './upsert_contexts';
import { validateNodeBatch } from './validate_node_batch';

const outOfRange = (message: string) => new MlmdError(StatusCode.OUT_OF_RANGE, message);

interface NodeList {
  /** `executions` or `artifacts`. */
  field: string;
  /** `execution` or `artifact`. */
  noun: string;
  nodes: readonly { id?: bigint }[];
}

/**
 * One end of an edge (contract §8.3.5 step 1): it is named by an index into the request's
 * node list, by the event's own id, or both, in which case the indexed node must carry
 * that id. Checked before anything is written.
 */
function checkEdgeEnd(at: string, index: number | undefined, eventId: bigint | undefined, list: NodeList): void {
  if (index === undefined && eventId === undefined) {
    throw invalidArgument(`${at} names no ${list.noun}: it has neither ${list.noun}_index nor event.${list.noun}_id.`);
  }
  if (index === undefined) return;
  if (index < 0 || index >= list.nodes.length) {
    throw outOfRange(`${at}.${list.noun}_index ${index} is outside ${list.field}, which has ${list.nodes.length} entries.`);
  }
  if (eventId === undefined) return;
  const node = list.nodes[index];
  if (node.id === undefined) {
    throw invalidArgument(
      `${at} has both ${list.noun}_index ${index} and event.${list.noun}_id ${eventId}, but ${list.field}[${index}] has no id to compare.`,
    );
  }
  if (node.id !== eventId) {
    throw invalidArgument(`${at}.event.${list.noun}_id ${eventId} does not match ${list.field}[${index}].id ${node.id}.`);
  }
}

function checkEdges(edges: readonly PutLineageSubgraphRequest_EventEdge[], executions: NodeList, artifacts: NodeList): void {
  edges.forEach((edge, i) => {
    const at = `event_edges[${i}]`;
    if (!edge.event) throw invalidArgument(`${at} has no event.`);
    checkEdgeEnd(at, edge.executionIndex, edge.event.executionId, executions);
    checkEdgeEnd(at, edge.artifactIndex, edge.event.artifactId, artifacts);
  });
}

/**
 * PutLineageSubgraph (contract §8.3.5), one transaction: edges and nodes are validated
 * first, then contexts, artifacts and executions are upserted, every execution and artifact
 * is linked to every context, and finally one event per edge is written with its ends
 * resolved to the written ids. Statement count is fixed whatever the size of the subgraph.
 */
export const putLineageSubgraph: RpcImpl<'putLineageSubgraph'> = async (tx, request) => {
  const executions = request.executions ?? [];
  const artifacts = request.artifacts ?? [];
  const contexts = request.contexts ?? [];
  const edges = request.eventEdges ?? [];
  const options = request.options ?? {};

  checkEdges(
    edges,
    { field: 'executions', noun: 'execution', nodes: executions },
    { field: 'artifacts', noun: 'artifact', nodes: artifacts },
  );
  await validateNodeBatch(tx, 'artifact', artifacts, 'artifacts');
  await validateNodeBatch(tx, 'execution', executions, 'executions');
  await validateNodeBatch(tx, 'context', contexts, 'contexts');

  const contextIds = await upsertContexts(tx, contexts, {
    reuseIfAlreadyExists: options.reuseContextIfAlreadyExist ?? false,
    forceReuseWithId: false,
  });
  const artifactIds = await upsertArtifacts(tx, artifacts, {
    reuseByExternalId: options.reuseArtifactIfAlreadyExistByExternalId ?? false,
    resolution: 'upfront',
    fieldOf: (i) => `artifacts[${i}]`,
  });
  const executionIds = await putNodes(tx, 'execution', executions);
  await linkToContexts(tx, contextIds, executionIds, artifactIds);

  // Edge ends named by index take the written node's id; the events then get PutEvents'
  // checks, existence of id-named ends included (deviation from upstream's quirk B28).
  const events: Event[] = edges.map((edge) => ({
    ...edge.event!,
    executionId: edge.event!.executionId ?? executionIds[edge.executionIndex!],
    artifactId: edge.event!.artifactId ?? artifactIds[edge.artifactIndex!],
  }));
  if (events.length > 0) await writeEvents(tx, events, (i) => `event_edges[${i}].event`);

  return { executionIds, artifactIds, contextIds };
};
