import type { Artifact, Context, Execution } from '../generated/ml_metadata/proto/metadata_store';
import type { NodeKind } from './node_kind';

/** The generated message of each node kind. */
export interface NodeMessages {
  artifact: Artifact;
  execution: Execution;
  context: Context;
}
export type NodeMessage = Artifact | Execution | Context;

/** A node row joined with its type's name, as the drivers return it. */
export interface NodeRow {
  id: number | string;
  type_id: number | string;
  type_name: string | null;
  name: string | null;
  external_id: string | null;
  create_time_since_epoch: number | string;
  last_update_time_since_epoch: number | string;
  /** Artifact only. */
  uri?: string | null;
  /** Artifact only. */
  state?: number | string | null;
  /** Execution only. */
  last_known_state?: number | string | null;
}

/** The message for one row, with presence exactly as upstream reads it (contract §2.5). */
export function nodeFromRow(kind: NodeKind, row: NodeRow): NodeMessage {
  const message: Artifact & Execution & Context = {
    id: BigInt(row.id),
    typeId: BigInt(row.type_id),
    properties: {},
    customProperties: {},
    createTimeSinceEpoch: BigInt(row.create_time_since_epoch),
    lastUpdateTimeSinceEpoch: BigInt(row.last_update_time_since_epoch),
  };
  if (row.type_name !== null) message.type = row.type_name;
  if (row.name !== null) message.name = row.name;
  if (row.external_id !== null) message.externalId = row.external_id;
  if (kind === 'artifact') {
    if (row.uri !== null && row.uri !== undefined) message.uri = row.uri;
    if (row.state !== null && row.state !== undefined) message.state = Number(row.state);
  }
  if (kind === 'execution' && row.last_known_state !== null && row.last_known_state !== undefined) {
    message.lastKnownState = Number(row.last_known_state);
  }
  return message;
}

