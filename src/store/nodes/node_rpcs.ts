import { invalidArgument } from '../../errors';
import { read, write, type RpcTable } from '../rpc';
import { artifactsByUris, nodeByTypeAndName, nodesByExternalIds, nodesById, nodesByType, typesOfArtifacts } from './node_reads';
import { putNodes } from './put_nodes';

/** Whether a decoded message carried field `fieldNumber` that its schema no longer declares. */
function hasUnknownField(message: { _unknownFields?: { [tag: number]: Uint8Array[] } }, fieldNumber: number): boolean {
  // ts-proto keys unknown fields by the whole wire tag (field number << 3 | wire type).
  return Object.keys(message._unknownFields ?? {}).some((tag) => Number(tag) >>> 3 === fieldNumber);
}

/** Artifact, execution and context writes and reads (contract §8.3.1-§8.3.3, §8.5.2-§8.5.6). */
export const nodeRpcs: RpcTable = {
  putArtifacts: write<'putArtifacts'>(async (tx, req) => ({
    artifactIds: await putNodes(tx, 'artifact', req.artifacts, {
      updateMask: req.updateMask,
      abortIfLatestUpdatedTimeChanged: req.options?.abortIfLatestUpdatedTimeChanged ?? false,
    }),
  })),
  putExecutions: write<'putExecutions'>(async (tx, req) => ({
    executionIds: await putNodes(tx, 'execution', req.executions, { updateMask: req.updateMask }),
  })),
  putContexts: write<'putContexts'>(async (tx, req) => ({
    contextIds: await putNodes(tx, 'context', req.contexts, { updateMask: req.updateMask }),
  })),

  getArtifactsById: read<'getArtifactsById'>(
    async (tx, req) => {
      // Nodes, types and properties come in one statement; the types asked for are a second.
      if (!req.populateArtifactTypes) tx.soleStatementNext();
      const artifacts = await nodesById(tx, 'artifact', req.artifactIds);
      if (!req.populateArtifactTypes) return { artifacts, artifactTypes: [] };
      return { artifacts, artifactTypes: await typesOfArtifacts(tx, artifacts) };
    },
  ),
  getExecutionsById: read<'getExecutionsById'>(
    async (tx, req) => {
      tx.soleStatementNext();
      return { executions: await nodesById(tx, 'execution', req.executionIds) };
    },
  ),
  getContextsById: read<'getContextsById'>(
    async (tx, req) => {
      tx.soleStatementNext();
      return { contexts: await nodesById(tx, 'context', req.contextIds) };
    },
  ),

  getArtifactsByType: read<'getArtifactsByType'>(
    async (tx, req) => {
      const page = await nodesByType(tx, 'artifact', req.typeName, req.typeVersion, req.options);
      return { artifacts: page.nodes, nextPageToken: page.nextPageToken };
    },
  ),
  getExecutionsByType: read<'getExecutionsByType'>(
    async (tx, req) => {
      const page = await nodesByType(tx, 'execution', req.typeName, req.typeVersion, req.options);
      return { executions: page.nodes, nextPageToken: page.nextPageToken };
    },
  ),
  getContextsByType: read<'getContextsByType'>(
    async (tx, req) => {
      const page = await nodesByType(tx, 'context', req.typeName, req.typeVersion, req.options);
      return { contexts: page.nodes, nextPageToken: page.nextPageToken };
    },
  ),

  getArtifactByTypeAndName: read<'getArtifactByTypeAndName'>(
    async (tx, req) => ({ artifact: await nodeByTypeAndName(tx, 'artifact', req.typeName, req.typeVersion, req.artifactName) }),
  ),
  getExecutionByTypeAndName: read<'getExecutionByTypeAndName'>(
    async (tx, req) => ({ execution: await nodeByTypeAndName(tx, 'execution', req.typeName, req.typeVersion, req.executionName) }),
  ),
  getContextByTypeAndName: read<'getContextByTypeAndName'>(
    async (tx, req) => ({ context: await nodeByTypeAndName(tx, 'context', req.typeName, req.typeVersion, req.contextName) }),
  ),

  getArtifactsByUri: read<'getArtifactsByUri'>(async (tx, req) => {
    if (hasUnknownField(req, 1)) {
      throw invalidArgument('The request contains deprecated field `uri`. Please use the repeated field `uris` instead.');
    }
    return { artifacts: await artifactsByUris(tx, req.uris) };
  }),

  getArtifactsByExternalIds: read<'getArtifactsByExternalIds'>(async (tx, req) => ({ artifacts: await nodesByExternalIds(tx, 'artifact', req.externalIds) })),
  getExecutionsByExternalIds: read<'getExecutionsByExternalIds'>(async (tx, req) => ({ executions: await nodesByExternalIds(tx, 'execution', req.externalIds) })),
  getContextsByExternalIds: read<'getContextsByExternalIds'>(async (tx, req) => ({ contexts: await nodesByExternalIds(tx, 'context', req.externalIds) })),
};
