import type { NeighbourPrefix, NodeField, NodeKind, PropertyField, ValueType } from './ast';

/**
 * The names the filter language knows, per node kind (contract §10.3-§10.6). This is also the
 * allow-list that decides which identifiers can ever reach SQL.
 */

export type EnumName = 'artifactState' | 'executionState' | 'eventType';

export interface FieldSpec {
  type: ValueType;
  /** Set for INT64 columns that also accept enum names (`state = LIVE`). */
  enumName?: EnumName;
}

const COMMON_ATTRIBUTES: Record<string, FieldSpec> = {
  id: { type: 'int' },
  type_id: { type: 'int' },
  type: { type: 'string' },
  name: { type: 'string' },
  external_id: { type: 'string' },
  create_time_since_epoch: { type: 'int' },
  last_update_time_since_epoch: { type: 'int' },
};

/** Attributes of the filtered node itself; `type` is the name of the node's type. */
export const NODE_ATTRIBUTES: Record<NodeKind, Record<string, FieldSpec>> = {
  artifact: { ...COMMON_ATTRIBUTES, uri: { type: 'string' }, state: { type: 'int', enumName: 'artifactState' } },
  execution: { ...COMMON_ATTRIBUTES, last_known_state: { type: 'int', enumName: 'executionState' } },
  context: { ...COMMON_ATTRIBUTES },
};

const CONTEXT_NEIGHBOUR_FIELDS: Record<string, FieldSpec> = {
  id: { type: 'int' },
  name: { type: 'string' },
  type: { type: 'string' },
  create_time_since_epoch: { type: 'int' },
  last_update_time_since_epoch: { type: 'int' },
};

const NODE_NEIGHBOUR_FIELDS = {
  id: { type: 'int' },
  name: { type: 'string' },
  type: { type: 'string' },
  external_id: { type: 'string' },
  create_time_since_epoch: { type: 'int' },
  last_update_time_since_epoch: { type: 'int' },
} satisfies Record<string, FieldSpec>;

const EVENT_FIELDS = {
  type: { type: 'int', enumName: 'eventType' },
  milliseconds_since_epoch: { type: 'int' },
} satisfies Record<string, FieldSpec>;

export interface NeighbourSpec {
  /** Node kinds on which the prefix is a known name. */
  allowedOn: NodeKind[];
  fields(kind: NodeKind): Record<string, FieldSpec>;
}

export const NEIGHBOURS: Record<NeighbourPrefix, NeighbourSpec> = {
  contexts: { allowedOn: ['artifact', 'execution'], fields: () => CONTEXT_NEIGHBOUR_FIELDS },
  parent_contexts: { allowedOn: ['context'], fields: () => CONTEXT_NEIGHBOUR_FIELDS },
  child_contexts: { allowedOn: ['context'], fields: () => CONTEXT_NEIGHBOUR_FIELDS },
  artifacts: {
    allowedOn: ['context'],
    fields: () => ({ ...NODE_NEIGHBOUR_FIELDS, uri: { type: 'string' }, state: { type: 'int', enumName: 'artifactState' } }),
  },
  executions: {
    allowedOn: ['context'],
    fields: () => ({ ...NODE_NEIGHBOUR_FIELDS, last_known_state: { type: 'int', enumName: 'executionState' } }),
  },
  events: {
    allowedOn: ['artifact', 'execution'],
    // An event names the node at its other end: the execution for an artifact and vice versa.
    fields: (kind) =>
      kind === 'artifact'
        ? { ...EVENT_FIELDS, execution_id: { type: 'int' } }
        : { ...EVENT_FIELDS, artifact_id: { type: 'int' } },
  },
};

/** Matches `<prefix>_<alias>`; the prefix group is one of NEIGHBOURS' keys. */
export const NEIGHBOUR_ALIAS = /^(contexts|parent_contexts|child_contexts|artifacts|executions|events)_[A-Za-z0-9_]+$/;

export const PROPERTY_FIELDS: Record<PropertyField, ValueType> = {
  int_value: 'int',
  double_value: 'double',
  string_value: 'string',
  bool_value: 'bool',
};

/**
 * Enum names accepted on the right of `=`, `!=`, `IN`, `NOT IN`. Upstream refuses a few
 * names of the current proto (artifact ABANDONED/REFERENCE, event UNKNOWN/PENDING_OUTPUT);
 * we accept every proto name, a harmless superset (contract Appendix B #20).
 */
export const ENUM_VALUES: Record<EnumName, Record<string, number>> = {
  artifactState: { UNKNOWN: 0, PENDING: 1, LIVE: 2, MARKED_FOR_DELETION: 3, DELETED: 4, ABANDONED: 5, REFERENCE: 6 },
  executionState: { UNKNOWN: 0, NEW: 1, RUNNING: 2, COMPLETE: 3, FAILED: 4, CACHED: 5, CANCELED: 6 },
  eventType: {
    UNKNOWN: 0,
    DECLARED_OUTPUT: 1,
    DECLARED_INPUT: 2,
    INPUT: 3,
    OUTPUT: 4,
    INTERNAL_INPUT: 5,
    INTERNAL_OUTPUT: 6,
    PENDING_OUTPUT: 7,
  },
};

/** GoogleSQL spelling of our types, for messages shaped like upstream's. */
export const SQL_TYPE_NAMES: Record<ValueType, string> = {
  int: 'INT64',
  double: 'DOUBLE',
  string: 'STRING',
  bool: 'BOOL',
  null: 'INT64',
};
