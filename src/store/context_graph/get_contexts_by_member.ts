import { contextIdsOfMember } from '../../repositories/edge_repository';
import { storedIdOf } from '../../repositories/stored_ids';
import { loadContexts } from '../../repositories/node_repository';
import { notFound } from '../../errors';
import type { RpcImpl } from '../rpc';
import { readableIds } from '../tenancy/visible_ids';
import { readFilterOf } from '../tenancy/call_tenancy';

/**
 * GetContextsByArtifact / GetContextsByExecution (contract §8.6.3): the node's contexts in
 * ascending id. A node with no contexts, unknown or unset ids included, is NOT_FOUND, an
 * asymmetry with GetArtifactsByContext that upstream keeps on purpose and clients may catch.
 */
export const getContextsByArtifact: RpcImpl<'getContextsByArtifact'> = async (tx, request) => {
  const id = request.artifactId ?? 0n;
  const stored = storedIdOf(id);
  // An artifact the caller may not see has no contexts, as an absent one.
  const visible = stored === null ? [] : await readableIds(tx, 'artifact', [stored]);
  const contexts = visible.length === 0 ? [] : await loadContexts(tx, await contextIdsOfMember(tx, 'Attribution', visible[0]), readFilterOf(tx));
  if (contexts.length === 0) throw notFound(`No contexts found for artifact_id: ${id}`);
  return { contexts };
};

export const getContextsByExecution: RpcImpl<'getContextsByExecution'> = async (tx, request) => {
  const id = request.executionId ?? 0n;
  const stored = storedIdOf(id);
  const visible = stored === null ? [] : await readableIds(tx, 'execution', [stored]);
  const contexts = visible.length === 0 ? [] : await loadContexts(tx, await contextIdsOfMember(tx, 'Association', visible[0]), readFilterOf(tx));
  if (contexts.length === 0) throw notFound(`No contexts found for execution_id: ${id}`);
  return { contexts };
};
