import type { Dialect } from './config';

/** The fifteen tables of upstream's schema version 10, spelled as upstream spells them. */
export const MLMD_TABLES = [
  'Type',
  'TypeProperty',
  'ParentType',
  'Artifact',
  'ArtifactProperty',
  'Execution',
  'ExecutionProperty',
  'Event',
  'EventPath',
  'MLMDEnv',
  'Context',
  'ContextProperty',
  'ParentContext',
  'Association',
  'Attribution',
] as const;

export type TableName = (typeof MLMD_TABLES)[number];

/**
 * The three kinds of MLMD node, the one vocabulary for them across the code base: each has its
 * own node table, property table and id sequence (see repositories/node_kind.ts).
 */
export type NodeKind = 'artifact' | 'execution' | 'context';

/** The node table of each kind. */
export type NodeTableName = Extract<TableName, 'Artifact' | 'Execution' | 'Context'>;
export const NODE_TABLE: Readonly<Record<NodeKind, NodeTableName>> = { artifact: 'Artifact', execution: 'Execution', context: 'Context' };

/**
 * Upstream creates PostgreSQL tables with unquoted identifiers, so they are stored folded to
 * lower case; Knex quotes every identifier, so we must ask for the folded name there.
 * MySQL on Linux is case-sensitive and keeps upstream's mixed case.
 */
export function physicalTableName(dialect: Dialect, table: TableName): string {
  return dialect === 'postgres' ? table.toLowerCase() : table;
}
