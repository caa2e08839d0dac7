import type { Knex } from 'knex';
import { dialectOf } from '../src/database/dialect';
import { indexExists } from '../src/database/schema/introspection';
import { physicalTableName } from '../src/database/tables';

/**
 * Upstream's v10 schema indexes Context only by (type_id, name), so a filter on a context's
 * name without its type (`contexts_a.name = 'run-…'` in GetArtifacts/GetExecutions, `name = …`
 * in GetContexts) reads every context. This secondary index lets such a filter start from the
 * named context. Additive, with a name upstream never uses; upstream ignores it.
 */
const NAME = 'idx_context_name';

export async function up(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  const table = physicalTableName(dialect, 'Context');
  if (await indexExists(knex, dialect, table, NAME)) return;
  await knex.raw('CREATE INDEX ?? ON ?? (??)', [NAME, table, 'name']);
}

export async function down(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  const table = physicalTableName(dialect, 'Context');
  if (!(await indexExists(knex, dialect, table, NAME))) return;
  if (dialect === 'mysql') await knex.raw('DROP INDEX ?? ON ??', [NAME, table]);
  else await knex.raw('DROP INDEX ??', [NAME]);
}
