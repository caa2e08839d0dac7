import type { Knex } from 'knex';
import { dialectOf } from '../src/database/dialect';
import { indexExists } from '../src/database/schema/introspection';
import { physicalTableName } from '../src/database/tables';

/**
 * `uri LIKE 'prefix%'` (a filter the Kubeflow UI and users send to find a run's artifacts)
 * cannot use upstream's `idx_artifact_uri` on two backends: SQLite's LIKE ignores ASCII case,
 * so it only uses an index built with NOCASE collation; PostgreSQL's LIKE only uses a btree
 * built with `text_pattern_ops` unless the database collation is C. These indexes let both
 * answer a prefix from the index instead of reading every artifact. MySQL's collation-aware
 * `idx_artifact_uri` already serves it. Additive, with names upstream never uses.
 */
const NAME = 'idx_artifact_uri_prefix';

export async function up(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  if (dialect === 'mysql') return;
  const table = physicalTableName(dialect, 'Artifact');
  if (await indexExists(knex, dialect, table, NAME)) return;
  if (dialect === 'sqlite') await knex.raw('CREATE INDEX ?? ON ?? (uri COLLATE NOCASE)', [NAME, table]);
  else await knex.raw('CREATE INDEX ?? ON ?? (uri text_pattern_ops)', [NAME, table]);
}

export async function down(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  if (dialect === 'mysql') return;
  if (!(await indexExists(knex, dialect, physicalTableName(dialect, 'Artifact'), NAME))) return;
  await knex.raw('DROP INDEX ??', [NAME]);
}
