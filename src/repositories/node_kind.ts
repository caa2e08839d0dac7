import type { TableName } from '../database/tables';

/** The three kinds of MLMD node; each has its own table, property table and id sequence. */
export type NodeKind = 'artifact' | 'execution' | 'context';

export const NODE_KINDS: readonly NodeKind[] = ['artifact', 'execution', 'context'];

export interface NodeTables {
  /** The node table: `Artifact`, `Execution`, `Context`. */
  node: Extract<TableName, 'Artifact' | 'Execution' | 'Context'>;
  /** The property table keyed by (`<kind>_id`, name, is_custom_property). */
  property: Extract<TableName, 'ArtifactProperty' | 'ExecutionProperty' | 'ContextProperty'>;
  /** The property table's column naming its node. */
  propertyNodeColumn: 'artifact_id' | 'execution_id' | 'context_id';
  /** `Type.type_kind` of this kind's types (upstream hard-codes 0, 1, 2). */
  typeKind: 0 | 1 | 2;
  /** Upstream's capitalised noun, used in messages ("Artifact", ...). */
  label: 'Artifact' | 'Execution' | 'Context';
}

const TABLES: Record<NodeKind, NodeTables> = {
  artifact: { node: 'Artifact', property: 'ArtifactProperty', propertyNodeColumn: 'artifact_id', typeKind: 1, label: 'Artifact' },
  execution: { node: 'Execution', property: 'ExecutionProperty', propertyNodeColumn: 'execution_id', typeKind: 0, label: 'Execution' },
  context: { node: 'Context', property: 'ContextProperty', propertyNodeColumn: 'context_id', typeKind: 2, label: 'Context' },
};

export function nodeTables(kind: NodeKind): NodeTables {
  return TABLES[kind];
}
