import type { Knex } from 'knex';
import type { SchemaMigrations } from '../src/database/config';
import * as mlmdSchemaV10 from './20261122000001_mlmd_schema_v10';
import * as widenPropertyValues from './20261122000002_widen_property_values';
import * as edgeLookupIndexes from './20261122000003_edge_lookup_indexes';
import * as eventPathStepOrder from './20261122000003_eventpath_step_order';
import * as contextNameIndex from './20261201000001_context_name_index';
import * as uriPrefixIndexes from './20261201000002_uri_prefix_indexes';
import * as nodeNamespaceOwnership from './20261202000001_node_namespace_ownership';

/**
 * Every schema change, in order. Listed explicitly (rather than read from the directory) so
 * the same list works from TypeScript sources under test and from compiled JavaScript.
 */
const MIGRATIONS: readonly { name: string; module: Knex.Migration }[] = [
  { name: '20261122000001_mlmd_schema_v10', module: mlmdSchemaV10 },
  { name: '20261122000002_widen_property_values', module: widenPropertyValues },
  { name: '20261122000003_edge_lookup_indexes', module: edgeLookupIndexes },
  { name: '20261122000003_eventpath_step_order', module: eventPathStepOrder },
  { name: '20261201000001_context_name_index', module: contextNameIndex },
  { name: '20261201000002_uri_prefix_indexes', module: uriPrefixIndexes },
  { name: '20261202000001_node_namespace_ownership', module: nodeNamespaceOwnership },
];

export const migrationSource: Knex.MigrationSource<{ name: string; module: Knex.Migration }> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration.module,
};

/** Knex's bookkeeping tables, named so nobody mistakes them for MLMD's own. */
export const MIGRATIONS_TABLE = 'mlmd_ts_migrations';

/** What openDatabase() applies at start-up: every migration above, tracked in MIGRATIONS_TABLE. */
export const MLMD_MIGRATIONS: SchemaMigrations = { source: migrationSource, tableName: MIGRATIONS_TABLE };
