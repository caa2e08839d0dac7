import type { Knex } from 'knex';
import { dialectOf } from '../src/database/dialect';
import { tableExists } from '../src/database/schema/introspection';
import { createNodeNamespaceTable, NODE_NAMESPACE_TABLE, rebuildDerivedOwnership } from '../src/database/schema/node_namespace_ownership';

/**
 * Tenancy (issue 15): the side table saying which namespaces own each node, created and
 * back-filled once from the data already stored (a Kubeflow metadb written by upstream's
 * server, or by us before this migration). Knex records the migration as done, so the
 * back-fill runs once; it is idempotent anyway.
 *
 * Upstream's server ignores the table. If it writes to the database afterwards (a rollback
 * to upstream, or both servers side by side), the rows it adds are not reflected here and
 * the table is stale: run the repository's rebuildNodeNamespaces (the same statements as
 * this back-fill) once upstream has stopped writing. The server keeps the table current on
 * every write it serves itself, with tenancy off too, so switching tenancy on later is right.
 */
export async function up(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  if (!(await tableExists(knex, dialect, NODE_NAMESPACE_TABLE))) await createNodeNamespaceTable(knex);
  await rebuildDerivedOwnership(knex, dialect);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(NODE_NAMESPACE_TABLE);
}
