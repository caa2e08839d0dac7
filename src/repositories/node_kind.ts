import { NODE_TABLE, type NodeKind, type NodeTableName, type TableName } from '../database/tables';

export type { NodeKind, NodeTableName };

export interface NodeTables {
  /** The node table: `Artifact`, `Execution`, `Context`. */
  node: NodeTableName;
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
  artifact: { node: NODE_TABLE.artifact, property: 'ArtifactProperty', propertyNodeColumn: 'artifact_id', typeKind: 1, label: 'Artifact' },
  execution: { node: NODE_TABLE.execution, property: 'ExecutionProperty', propertyNodeColumn: 'execution_id', typeKind: 0, label: 'Execution' },
  context: { node: NODE_TABLE.context, property: 'ContextProperty', propertyNodeColumn: 'context_id', typeKind: 2, label: 'Context' },
};

export function nodeTables(kind: NodeKind): NodeTables {
  return TABLES[kind];
}

/** The kind whose node table is `table`. */
export function kindOfNodeTable(table: NodeTableName): NodeKind {
  return (Object.keys(TABLES) as NodeKind[]).find((kind) => TABLES[kind].node === table)!;
}
