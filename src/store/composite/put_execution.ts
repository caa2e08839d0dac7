import type { Event } from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument, type MlmdError } from '../../errors';
import { writeEvents } from '../events/put_events';
import { putNodes } from '../nodes/put_nodes';
import type { RpcImpl } from '../rpc';
import { linkToContexts } from './link_to_contexts';
import { upsertArtifacts } from './upsert_artifacts';
import { upsertContexts } from './upsert_contexts';

/** Upstream's artifact id for a pair with neither artifact nor event. */
const NO_ARTIFACT = -1n;

/**
 * PutExecution (contract §8.3.4), one transaction: the pairs' artifacts, then the execution,
 * then one event per pair that has one, then the contexts, then the memberships linking the
 * execution and the pairs' artifacts to every context. Ids come back in request order. Every
 * step is a fixed number of statements for the whole request, however many pairs or
 * contexts it carries.
 */
export const putExecution: RpcImpl<'putExecution'> = async (tx, request) => {
  const execution = request.execution;
  if (!execution) throw invalidArgument('No execution is found: the request has no `execution`.');
  const pairs = request.artifactEventPairs ?? [];
  const options = request.options ?? {};

  const artifactPairs = pairs.flatMap((pair, index) => (pair.artifact ? [{ index, artifact: pair.artifact }] : []));
  const writtenArtifactIds = await upsertArtifacts(
    tx,
    artifactPairs.map((p) => p.artifact),
    {
      reuseByExternalId: options.reuseArtifactIfAlreadyExistByExternalId ?? false,
      resolution: 'sequential',
      fieldOf: (k) => `artifact_event_pairs[${artifactPairs[k].index}].artifact`,
    },
  );
  const artifactIdOfPair = new Map(artifactPairs.map((p, k) => [p.index, writtenArtifactIds[k]]));

  const [executionId] = await putNodes(tx, 'execution', [execution], {
    forceUpdate: options.forceUpdateTime ?? false,
    fieldOf: () => 'execution',
  });

  // Events, pair by pair. A pair's own inconsistency is remembered and raised after the
  // events of the pairs before it have been checked, the order upstream meets them in.
  const events: Event[] = [];
  const eventPairIndex: number[] = [];
  const artifactIds: bigint[] = [];
  let pairError: MlmdError | undefined;
  for (let i = 0; i < pairs.length && !pairError; i++) {
    const { artifact, event } = pairs[i];
    const at = `artifact_event_pairs[${i}]`;
    const artifactId = artifactIdOfPair.get(i);
    if (event) {
      if (event.executionId !== undefined && event.executionId !== executionId) {
        pairError = invalidArgument(
          `Request's event.execution_id does not match with the given execution: ${at}.event.execution_id is ` +
            `${event.executionId}, the execution's id is ${executionId}.`,
        );
        break;
      }
      if (artifact && event.artifactId !== undefined && event.artifactId !== artifactId) {
        pairError = invalidArgument(
          `Request's event.artifact_id does not match with the given artifact: ${at}.event.artifact_id is ` +
            `${event.artifactId}, the pair's artifact has id ${artifactId}.`,
        );
        break;
      }
      if (!artifact && event.artifactId === undefined) {
        pairError = invalidArgument(`If no artifact is present, given event must have an artifact_id: ${at} has neither.`);
        break;
      }
      events.push({ ...event, artifactId: artifactId ?? event.artifactId, executionId });
      eventPairIndex.push(i);
    }
    artifactIds.push(artifactId ?? event?.artifactId ?? NO_ARTIFACT);
  }
  // The event-only pairs' artifacts must exist: checked here, where upstream writes a
  // dangling event (deviation from quirk B28).
  if (events.length > 0) {
    // The pairs' artifacts and the execution were just written by this transaction.
    await writeEvents(tx, events, (k) => `artifact_event_pairs[${eventPairIndex[k]}].event`, {
      artifacts: writtenArtifactIds.map(Number),
      ...(execution.id === undefined ? { createdExecutions: [Number(executionId)] } : { executions: [Number(executionId)] }),
    });
  }
  if (pairError) throw pairError;

  const contextIds = await upsertContexts(tx, request.contexts ?? [], {
    reuseIfAlreadyExists: options.reuseContextIfAlreadyExist ?? false,
    forceReuseWithId: options.forceReuseContext ?? false,
  });
  await linkToContexts(tx, contextIds, [executionId], artifactIds);

  return { executionId, artifactIds, contextIds };
};
