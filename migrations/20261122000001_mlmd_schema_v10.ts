import type { Knex } from 'knex';
import { dialectOf } from '../src/database/dialect';
import { existingMlmdTables } from '../src/database/schema/schema_state';
import { SCHEMA_VERSION, v10IndexStatements, v10TableStatements } from '../src/database/schema/v10_ddl';
import { physicalTableName, MLMD_TABLES } from '../src/database/tables';
import { aborted } from '../src/errors';

/**
 * Creates upstream's schema version 10 in an empty database. A database that already has all
 * fifteen tables (one written by upstream's server, e.g. a Kubeflow metadb) is adopted as it
 * is: nothing is changed. Some-but-not-all tables means another process is creating them or
 * a creation died half-way: that is upstream's ABORTED case, which start-up retries.
 */
export async function up(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  const present = await existingMlmdTables(knex, dialect);
  if (present.size === MLMD_TABLES.length) return;
  if (present.size > 0) {
    const missing = MLMD_TABLES.filter((t) => !present.has(t));
    throw aborted(
      `The database holds only some MLMD tables (missing: ${missing.join(', ')}); ` +
        'another server may be creating them. Retry, or repair the database.',
    );
  }
  for (const statement of v10TableStatements(dialect)) {
    await knex.raw(statement);
  }
  for (const statement of v10IndexStatements(dialect)) {
    try {
      await knex.raw(statement);
    } catch (e) {
      // Upstream tolerates re-adding an existing MySQL index the same way.
      if (!/Duplicate key name/i.test((e as Error).message)) throw e;
    }
  }
  await knex(physicalTableName(dialect, 'MLMDEnv')).insert({ schema_version: SCHEMA_VERSION });
}

/** Never drops upstream's tables: a database may hold years of lineage. */
export async function down(): Promise<void> {
  throw new Error('The MLMD base schema is not reversible by design.');
}
