import type { Knex } from 'knex';
import { dialectOf } from '../src/database/dialect';
import { indexExists } from '../src/database/schema/introspection';
import { physicalTableName, type TableName } from '../src/database/tables';

/**
 * Upstream's v10 schema indexes Attribution and Association only by (context_id, node id),
 * so "contexts of this artifact/execution" (GetContextsByArtifact, GetContextsByExecution,
 * lineage hops) scans the whole table. These two secondary indexes fix that. They are
 * additive and carry names upstream never uses; upstream's server ignores indexes it does
 * not know, so a database remains servable by it.
 */
const INDEXES: readonly { name: string; table: TableName; column: string }[] = [
  { name: 'idx_attribution_artifact_id', table: 'Attribution', column: 'artifact_id' },
  { name: 'idx_association_execution_id', table: 'Association', column: 'execution_id' },
];

export async function up(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  for (const { name, table, column } of INDEXES) {
    const physical = physicalTableName(dialect, table);
    if (await indexExists(knex, dialect, physical, name)) continue;
    await knex.raw('CREATE INDEX ?? ON ?? (??)', [name, physical, column]);
  }
}

export async function down(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  for (const { name, table } of INDEXES) {
    const physical = physicalTableName(dialect, table);
    if (!(await indexExists(knex, dialect, physical, name))) continue;
    if (dialect === 'mysql') await knex.raw('DROP INDEX ?? ON ??', [name, physical]);
    else await knex.raw('DROP INDEX ??', [name]);
  }
}
