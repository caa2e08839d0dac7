import type { Knex } from 'knex';
import type { UnitKnex } from '../unit_knex';
import type { Dialect } from '../config';
import { physicalTableName } from '../tables';

/**
 * Which Kubernetes namespaces own each artifact, execution and context (tenancy, issue 15):
 * our own side table, named so nobody mistakes it for MLMD's, which upstream's server never
 * reads or writes. The table and the statements that derive its rows from MLMD's tables live
 * here, in the database layer, because two callers share them: the migration that creates
 * and back-fills the table, and the repository (node_namespace_repository.ts) that keeps it
 * current on every write and rebuilds it on an operator's request.
 */
export const NODE_NAMESPACE_TABLE = 'mlmd_ts_node_namespace';

/** The owner kinds, spelled as NodeKind spells them. */
export type OwnedKind = 'artifact' | 'execution' | 'context';

/**
 * Why a row exists. `run`: derived from MLMD's own data (a system.PipelineRun context's
 * `namespace`, a system.ContainerExecution's `namespace`, membership in such a run), so it
 * can be recomputed at any time. `creator`: the node was created by a caller whose scope
 * named a default namespace; nothing in MLMD's tables records that, so a rebuild keeps it.
 */
export type OwnershipSource = 'run' | 'creator';

/** Kubeflow's marks (shared/spec/tenancy.md A.2). */
export const RUN_CONTEXT_TYPE = 'system.PipelineRun';
export const CONTAINER_EXECUTION_TYPE = 'system.ContainerExecution';
export const NAMESPACE_PROPERTY = 'namespace';
/** A Kubernetes namespace is at most 63 characters; longer values cannot name one and own nothing. */
export const MAX_NAMESPACE_LENGTH = 255;

export async function createNodeNamespaceTable(knex: Knex): Promise<void> {
  await knex.schema.createTable(NODE_NAMESPACE_TABLE, (t) => {
    t.string('kind', 16).notNullable();
    t.integer('node_id').notNullable();
    // Compared with the database's collation (case-insensitive on MySQL by default): harmless,
    // since Kubernetes namespaces are lower-case DNS labels, and a claim is checked exactly in
    // the store before any row is written.
    t.string('namespace', MAX_NAMESPACE_LENGTH).notNullable();
    t.string('source', 8).notNullable();
    // "Who owns node X" (the NOT EXISTS of unowned nodes, the refresh of one node).
    t.primary(['kind', 'node_id', 'namespace', 'source'], 'pk_mlmd_ts_node_namespace');
    // "Is node X owned by one of these namespaces": the visibility semi-join of every filtered read.
    t.index(['namespace', 'kind', 'node_id'], 'idx_mlmd_ts_node_namespace_lookup');
  });
}

const customFlag = (dialect: Dialect) => (dialect === 'postgres' ? true : 1);

/**
 * Rows (kind, node_id, namespace, source = 'run') derived from MLMD's tables, for the nodes
 * of `kind` among `nodeIds` (every node when undefined), without duplicates:
 * - a context: the `namespace` custom property of a system.PipelineRun context;
 * - an artifact: the namespaces of the run contexts it is attributed to;
 * - an execution: those of the run contexts it is associated with, plus the `namespace`
 *   custom property of a system.ContainerExecution (Kubeflow writes both, and they agree).
 * The kind and source labels are our constants, inlined (PostgreSQL cannot type a bound
 * parameter in a select list).
 */
export function derivedOwnershipQuery(knex: UnitKnex, dialect: Dialect, kind: OwnedKind, nodeIds?: readonly number[]): Knex.QueryBuilder {
  const table = (name: 'Context' | 'ContextProperty' | 'Type' | 'Attribution' | 'Association' | 'Execution' | 'ExecutionProperty') =>
    physicalTableName(dialect, name);
  const labels = (idColumn: string) =>
    knex.raw(`'${kind}' AS ??, ?? AS ??, ?? AS ??, 'run' AS ??`, ['kind', idColumn, 'node_id', 'p.string_value', 'namespace', 'source']);
  const namespaceProperty = (q: Knex.QueryBuilder, propertyTable: string, nodeColumn: string, nodeIdColumn: string, typeName: string, typeIdColumn: string) =>
    q
      .join({ ty: physicalTableName(dialect, 'Type') }, 'ty.id', typeIdColumn)
      .join({ p: propertyTable }, `p.${nodeColumn}`, nodeIdColumn)
      .where('ty.name', typeName)
      .where('p.name', NAMESPACE_PROPERTY)
      .where('p.is_custom_property', customFlag(dialect))
      .whereNotNull('p.string_value')
      .where('p.string_value', '<>', '')
      .whereRaw(`${dialect === 'mysql' ? 'CHAR_LENGTH' : 'LENGTH'}(??) <= ${MAX_NAMESPACE_LENGTH}`, ['p.string_value']);
  const runContextOf = (q: Knex.QueryBuilder, contextIdColumn: string) =>
    namespaceProperty(q.join({ c: table('Context') }, 'c.id', contextIdColumn), table('ContextProperty'), 'context_id', 'c.id', RUN_CONTEXT_TYPE, 'c.type_id');
  const restrict = (q: Knex.QueryBuilder, column: string) => (nodeIds === undefined ? q : q.whereIn(column, nodeIds as number[]));

  if (kind === 'context') {
    return restrict(runContextOf(knex.from({ m: table('Context') }).distinct(labels('m.id')), 'm.id'), 'm.id');
  }
  if (kind === 'artifact') {
    return restrict(runContextOf(knex.from({ m: table('Attribution') }).distinct(labels('m.artifact_id')), 'm.context_id'), 'm.artifact_id');
  }
  const viaRuns = restrict(runContextOf(knex.from({ m: table('Association') }).select(labels('m.execution_id')), 'm.context_id'), 'm.execution_id');
  const ownProperty = restrict(
    namespaceProperty(knex.from({ x: table('Execution') }).select(labels('x.id')), table('ExecutionProperty'), 'execution_id', 'x.id', CONTAINER_EXECUTION_TYPE, 'x.type_id'),
    'x.id',
  );
  // UNION (not ALL) removes the duplicates of an execution owned both ways.
  return knex.from(viaRuns.union([ownProperty]).as('u')).select('u.kind', 'u.node_id', 'u.namespace', 'u.source');
}

/** INSERT ... SELECT of derivedOwnershipQuery's rows. */
export async function insertDerivedOwnership(knex: UnitKnex, dialect: Dialect, kind: OwnedKind, nodeIds?: readonly number[]): Promise<void> {
  const select = derivedOwnershipQuery(knex, dialect, kind, nodeIds).toSQL();
  await knex.raw(`INSERT INTO ?? (??, ??, ??, ??) ${select.sql}`, [
    NODE_NAMESPACE_TABLE,
    'kind',
    'node_id',
    'namespace',
    'source',
    ...(select.bindings as Knex.Value[]),
  ]);
}

/**
 * Recomputes every `run` row from MLMD's tables (`creator` rows stay): idempotent, so it
 * serves as the one-time back-fill and as the repair after upstream's server (which does not
 * know the table) has written to the database. One transaction, four statements.
 */
export async function rebuildDerivedOwnership(knex: UnitKnex, dialect: Dialect): Promise<void> {
  await knex(NODE_NAMESPACE_TABLE).where('source', 'run').delete();
  for (const kind of ['context', 'artifact', 'execution'] as const) await insertDerivedOwnership(knex, dialect, kind);
}
