import { read, write, type RpcTable } from '../rpc';
import { getEventsByArtifactIDs, getEventsByExecutionIDs } from './get_events';
import { putEvents } from './put_events';

/** PutEvents and the two event reads (contract §6, §8.4). */
export const eventRpcs: RpcTable = {
  putEvents: write(putEvents),
  getEventsByExecutionIDs: read(getEventsByExecutionIDs),
  getEventsByArtifactIDs: read(getEventsByArtifactIDs),
};
