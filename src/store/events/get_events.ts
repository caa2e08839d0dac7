import { eventsWhere } from '../../repositories/event_repository';
import { storedIds } from '../../repositories/stored_ids';
import type { RpcImpl } from '../rpc';
import { readFilterOf } from '../tenancy/call_tenancy';
import { eventMessage } from './event_message';

/**
 * Events of the given nodes, ascending by event id (put order, which upstream's Python tests
 * rely on); unknown and repeated ids add nothing, an empty list answers no events (§6.4).
 */
export const getEventsByExecutionIDs: RpcImpl<'getEventsByExecutionIDs'> = async (tx, request) => {
  const ids = storedIds(request.executionIds ?? []);
  if (ids.length === 0) return { events: [] };
  return { events: (await eventsWhere(tx, 'execution_id', ids, readFilterOf(tx))).map(eventMessage) };
};

export const getEventsByArtifactIDs: RpcImpl<'getEventsByArtifactIDs'> = async (tx, request) => {
  const ids = storedIds(request.artifactIds ?? []);
  if (ids.length === 0) return { events: [] };
  return { events: (await eventsWhere(tx, 'artifact_id', ids, readFilterOf(tx))).map(eventMessage) };
};
