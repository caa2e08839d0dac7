import type { Knex } from 'knex';

/**
 * Where the metadata lives. Mirrors upstream's ConnectionConfig oneof (sqlite / mysql /
 * postgresql) in plain TypeScript so the database layer does not depend on generated code.
 */
export type Dialect = 'sqlite' | 'mysql' | 'postgres';

export interface SqliteConfig {
  kind: 'sqlite';
  /** A file path, or ':memory:' for a private in-memory database. */
  filename: string;
  readonly?: boolean;
}

export interface MysqlSslOptions {
  /** Paths, as in upstream's MySQLDatabaseConfig.SSLOptions. */
  key?: string;
  cert?: string;
  ca?: string;
  capath?: string;
  cipher?: string;
  verifyServerCert?: boolean;
}

export interface MysqlConfig {
  kind: 'mysql';
  host?: string;
  port?: number;
  socket?: string;
  database: string;
  user?: string;
  password?: string;
  skipDbCreation?: boolean;
  ssl?: MysqlSslOptions;
}

export interface PostgresConfig {
  kind: 'postgres';
  host?: string;
  hostaddr?: string;
  port?: number;
  user?: string;
  password?: string;
  passfile?: string;
  dbname: string;
  skipDbCreation?: boolean;
  sslmode?: string;
  sslcert?: string;
  sslkey?: string;
  sslpassword?: string;
  sslrootcert?: string;
}

export type DatabaseConfig = SqliteConfig | MysqlConfig | PostgresConfig;

/** What start-up may do to the schema (upstream's MigrationOptions). */
export interface SchemaOptions {
  /** Upgrade an older MLMD schema to the current one (--enable_database_upgrade). */
  enableUpgrade: boolean;
  /** Downgrade to this MLMD schema version and stop (--downgrade_db_schema_version); -1 = off. */
  downgradeToVersion: number;
}

/**
 * The schema changes to apply at start-up (Knex migrations, kept in the top-level
 * `migrations/` folder). Handed in by whoever opens the database, so this layer's code and the
 * migrations, which use its dialect and introspection helpers, do not import each other.
 */
export interface SchemaMigrations {
  source: Knex.MigrationSource<unknown>;
  /** Knex's bookkeeping table. */
  tableName: string;
}

export interface OpenOptions {
  schema: SchemaOptions;
  migrations: SchemaMigrations;
  /** Maximum connections in this process's pool (SQLite always uses one). */
  poolMax?: number;
}
