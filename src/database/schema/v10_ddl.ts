import type { Dialect } from '../config';

/**
 * Upstream's schema version 10, exactly as its server creates a fresh database (table and
 * column names, SQL types, key and index names), one list of statements per dialect. Raw SQL
 * rather than Knex's schema builder, because the builder would choose other integer types,
 * boolean types and index names, and databases must stay interchangeable with upstream.
 */
export const SCHEMA_VERSION = 10;

const propertyColumnsMysql = `
  \`name\` VARCHAR(255) NOT NULL,
  \`is_custom_property\` TINYINT(1) NOT NULL,
  \`int_value\` INT,
  \`double_value\` DOUBLE,
  \`string_value\` MEDIUMTEXT,
  \`byte_value\` MEDIUMBLOB,
  \`proto_value\` MEDIUMBLOB,
  \`bool_value\` BOOLEAN`;

const MYSQL_TABLES = [
  `CREATE TABLE IF NOT EXISTS \`Type\` (
  \`id\` INT PRIMARY KEY AUTO_INCREMENT,
  \`name\` VARCHAR(255) NOT NULL,
  \`version\` VARCHAR(255),
  \`type_kind\` TINYINT(1) NOT NULL,
  \`description\` TEXT,
  \`input_type\` TEXT,
  \`output_type\` TEXT,
  \`external_id\` VARCHAR(255) UNIQUE
)`,
  `CREATE TABLE IF NOT EXISTS \`ParentType\` (
  \`type_id\` INT NOT NULL,
  \`parent_type_id\` INT NOT NULL,
  PRIMARY KEY (\`type_id\`, \`parent_type_id\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`TypeProperty\` (
  \`type_id\` INT NOT NULL,
  \`name\` VARCHAR(255) NOT NULL,
  \`data_type\` INT NULL,
  PRIMARY KEY (\`type_id\`, \`name\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`Artifact\` (
  \`id\` INTEGER PRIMARY KEY AUTO_INCREMENT,
  \`type_id\` INT NOT NULL,
  \`uri\` TEXT,
  \`state\` INT,
  \`name\` VARCHAR(255),
  \`external_id\` VARCHAR(255) UNIQUE,
  \`create_time_since_epoch\` BIGINT NOT NULL DEFAULT 0,
  \`last_update_time_since_epoch\` BIGINT NOT NULL DEFAULT 0,
  CONSTRAINT UniqueArtifactTypeName UNIQUE(\`type_id\`, \`name\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`ArtifactProperty\` (
  \`artifact_id\` INT NOT NULL,${propertyColumnsMysql},
  PRIMARY KEY (\`artifact_id\`, \`name\`, \`is_custom_property\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`Execution\` (
  \`id\` INTEGER PRIMARY KEY AUTO_INCREMENT,
  \`type_id\` INT NOT NULL,
  \`last_known_state\` INT,
  \`name\` VARCHAR(255),
  \`external_id\` VARCHAR(255) UNIQUE,
  \`create_time_since_epoch\` BIGINT NOT NULL DEFAULT 0,
  \`last_update_time_since_epoch\` BIGINT NOT NULL DEFAULT 0,
  CONSTRAINT UniqueExecutionTypeName UNIQUE(\`type_id\`, \`name\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`ExecutionProperty\` (
  \`execution_id\` INT NOT NULL,${propertyColumnsMysql},
  PRIMARY KEY (\`execution_id\`, \`name\`, \`is_custom_property\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`Event\` (
  \`id\` INTEGER PRIMARY KEY AUTO_INCREMENT,
  \`artifact_id\` INT NOT NULL,
  \`execution_id\` INT NOT NULL,
  \`type\` INT NOT NULL,
  \`milliseconds_since_epoch\` BIGINT,
  CONSTRAINT UniqueEvent UNIQUE(\`artifact_id\`, \`execution_id\`, \`type\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`EventPath\` (
  \`event_id\` INT NOT NULL,
  \`is_index_step\` TINYINT(1) NOT NULL,
  \`step_index\` INT,
  \`step_key\` TEXT
)`,
  `CREATE TABLE IF NOT EXISTS \`MLMDEnv\` (
  \`schema_version\` INTEGER PRIMARY KEY
)`,
  `CREATE TABLE IF NOT EXISTS \`Context\` (
  \`id\` INTEGER PRIMARY KEY AUTO_INCREMENT,
  \`type_id\` INT NOT NULL,
  \`name\` VARCHAR(255) NOT NULL,
  \`external_id\` VARCHAR(255) UNIQUE,
  \`create_time_since_epoch\` BIGINT NOT NULL DEFAULT 0,
  \`last_update_time_since_epoch\` BIGINT NOT NULL DEFAULT 0,
  UNIQUE(\`type_id\`, \`name\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`ContextProperty\` (
  \`context_id\` INT NOT NULL,${propertyColumnsMysql},
  PRIMARY KEY (\`context_id\`, \`name\`, \`is_custom_property\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`ParentContext\` (
  \`context_id\` INT NOT NULL,
  \`parent_context_id\` INT NOT NULL,
  PRIMARY KEY (\`context_id\`, \`parent_context_id\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`Association\` (
  \`id\` INTEGER PRIMARY KEY AUTO_INCREMENT,
  \`context_id\` INT NOT NULL,
  \`execution_id\` INT NOT NULL,
  UNIQUE(\`context_id\`, \`execution_id\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`Attribution\` (
  \`id\` INTEGER PRIMARY KEY AUTO_INCREMENT,
  \`context_id\` INT NOT NULL,
  \`artifact_id\` INT NOT NULL,
  UNIQUE(\`context_id\`, \`artifact_id\`)
)`,
];

const propertyIndexesMysql = (table: string, prefix: string) =>
  `ALTER TABLE \`${table}\` ADD INDEX \`idx_${prefix}_property_int\`(\`name\`, \`is_custom_property\`, \`int_value\`), ` +
  `ADD INDEX \`idx_${prefix}_property_double\`(\`name\`, \`is_custom_property\`, \`double_value\`), ` +
  `ADD INDEX \`idx_${prefix}_property_string\`(\`name\`, \`is_custom_property\`, \`string_value\`(255))`;

/** MySQL adds secondary indexes with ALTER TABLE; a re-run's "Duplicate key name" is benign. */
const MYSQL_INDEXES = [
  'ALTER TABLE `Artifact` ADD INDEX `idx_artifact_uri`(`uri`(255)), ' +
    'ADD INDEX `idx_artifact_create_time_since_epoch`(`create_time_since_epoch`), ' +
    'ADD INDEX `idx_artifact_last_update_time_since_epoch`(`last_update_time_since_epoch`)',
  'ALTER TABLE `Event` ADD INDEX `idx_event_execution_id`(`execution_id`)',
  'ALTER TABLE `ParentContext` ADD INDEX `idx_parentcontext_parent_context_id`(`parent_context_id`)',
  'ALTER TABLE `Type` ADD INDEX `idx_type_name`(`name`)',
  'ALTER TABLE `Execution` ADD INDEX `idx_execution_create_time_since_epoch`(`create_time_since_epoch`), ' +
    'ADD INDEX `idx_execution_last_update_time_since_epoch`(`last_update_time_since_epoch`)',
  'ALTER TABLE `Context` ADD INDEX `idx_context_create_time_since_epoch`(`create_time_since_epoch`), ' +
    'ADD INDEX `idx_context_last_update_time_since_epoch`(`last_update_time_since_epoch`)',
  'ALTER TABLE `EventPath` ADD INDEX `idx_eventpath_event_id`(`event_id`)',
  propertyIndexesMysql('ArtifactProperty', 'artifact'),
  propertyIndexesMysql('ExecutionProperty', 'execution'),
  propertyIndexesMysql('ContextProperty', 'context'),
  'ALTER TABLE `Type` ADD INDEX `idx_type_external_id`(`external_id`)',
  'ALTER TABLE `Artifact` ADD INDEX `idx_artifact_external_id`(`external_id`)',
  'ALTER TABLE `Execution` ADD INDEX `idx_execution_external_id`(`external_id`)',
  'ALTER TABLE `Context` ADD INDEX `idx_context_external_id`(`external_id`)',
];

const propertyColumnsSqlite = `
  \`name\` VARCHAR(255) NOT NULL,
  \`is_custom_property\` TINYINT(1) NOT NULL,
  \`int_value\` INT,
  \`double_value\` DOUBLE,
  \`string_value\` TEXT,
  \`byte_value\` BLOB,
  \`proto_value\` BLOB,
  \`bool_value\` BOOLEAN`;

const SQLITE_TABLES = [
  `CREATE TABLE IF NOT EXISTS \`Type\` (
  \`id\` INTEGER PRIMARY KEY AUTOINCREMENT,
  \`name\` VARCHAR(255) NOT NULL,
  \`version\` VARCHAR(255),
  \`type_kind\` TINYINT(1) NOT NULL,
  \`description\` TEXT,
  \`input_type\` TEXT,
  \`output_type\` TEXT,
  \`external_id\` VARCHAR(255) UNIQUE
)`,
  `CREATE TABLE IF NOT EXISTS \`ParentType\` (
  \`type_id\` INT NOT NULL,
  \`parent_type_id\` INT NOT NULL,
  PRIMARY KEY (\`type_id\`, \`parent_type_id\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`TypeProperty\` (
  \`type_id\` INT NOT NULL,
  \`name\` VARCHAR(255) NOT NULL,
  \`data_type\` INT NULL,
  PRIMARY KEY (\`type_id\`, \`name\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`Artifact\` (
  \`id\` INTEGER PRIMARY KEY AUTOINCREMENT,
  \`type_id\` INT NOT NULL,
  \`uri\` TEXT,
  \`state\` INT,
  \`name\` VARCHAR(255),
  \`external_id\` VARCHAR(255) UNIQUE,
  \`create_time_since_epoch\` INT NOT NULL DEFAULT 0,
  \`last_update_time_since_epoch\` INT NOT NULL DEFAULT 0,
  UNIQUE(\`type_id\`, \`name\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`ArtifactProperty\` (
  \`artifact_id\` INT NOT NULL,${propertyColumnsSqlite},
  PRIMARY KEY (\`artifact_id\`, \`name\`, \`is_custom_property\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`Execution\` (
  \`id\` INTEGER PRIMARY KEY AUTOINCREMENT,
  \`type_id\` INT NOT NULL,
  \`last_known_state\` INT,
  \`name\` VARCHAR(255),
  \`external_id\` VARCHAR(255) UNIQUE,
  \`create_time_since_epoch\` INT NOT NULL DEFAULT 0,
  \`last_update_time_since_epoch\` INT NOT NULL DEFAULT 0,
  UNIQUE(\`type_id\`, \`name\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`ExecutionProperty\` (
  \`execution_id\` INT NOT NULL,${propertyColumnsSqlite},
  PRIMARY KEY (\`execution_id\`, \`name\`, \`is_custom_property\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`Event\` (
  \`id\` INTEGER PRIMARY KEY AUTOINCREMENT,
  \`artifact_id\` INT NOT NULL,
  \`execution_id\` INT NOT NULL,
  \`type\` INT NOT NULL,
  \`milliseconds_since_epoch\` INT,
  UNIQUE(\`artifact_id\`, \`execution_id\`, \`type\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`EventPath\` (
  \`event_id\` INT NOT NULL,
  \`is_index_step\` TINYINT(1) NOT NULL,
  \`step_index\` INT,
  \`step_key\` TEXT
)`,
  `CREATE TABLE IF NOT EXISTS \`MLMDEnv\` (
  \`schema_version\` INTEGER PRIMARY KEY
)`,
  `CREATE TABLE IF NOT EXISTS \`Context\` (
  \`id\` INTEGER PRIMARY KEY AUTOINCREMENT,
  \`type_id\` INT NOT NULL,
  \`name\` VARCHAR(255) NOT NULL,
  \`external_id\` VARCHAR(255) UNIQUE,
  \`create_time_since_epoch\` INT NOT NULL DEFAULT 0,
  \`last_update_time_since_epoch\` INT NOT NULL DEFAULT 0,
  UNIQUE(\`type_id\`, \`name\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`ContextProperty\` (
  \`context_id\` INT NOT NULL,${propertyColumnsSqlite},
  PRIMARY KEY (\`context_id\`, \`name\`, \`is_custom_property\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`ParentContext\` (
  \`context_id\` INT NOT NULL,
  \`parent_context_id\` INT NOT NULL,
  PRIMARY KEY (\`context_id\`, \`parent_context_id\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`Association\` (
  \`id\` INTEGER PRIMARY KEY AUTOINCREMENT,
  \`context_id\` INT NOT NULL,
  \`execution_id\` INT NOT NULL,
  UNIQUE(\`context_id\`, \`execution_id\`)
)`,
  `CREATE TABLE IF NOT EXISTS \`Attribution\` (
  \`id\` INTEGER PRIMARY KEY AUTOINCREMENT,
  \`context_id\` INT NOT NULL,
  \`artifact_id\` INT NOT NULL,
  UNIQUE(\`context_id\`, \`artifact_id\`)
)`,
];

const propertyIndexesSqlite = (table: string, prefix: string) => [
  `CREATE INDEX IF NOT EXISTS \`idx_${prefix}_property_int\` ON \`${table}\`(\`name\`, \`is_custom_property\`, \`int_value\`) WHERE \`int_value\` IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS \`idx_${prefix}_property_double\` ON \`${table}\`(\`name\`, \`is_custom_property\`, \`double_value\`) WHERE \`double_value\` IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS \`idx_${prefix}_property_string\` ON \`${table}\`(\`name\`, \`is_custom_property\`, \`string_value\`) WHERE \`string_value\` IS NOT NULL`,
];

const SQLITE_INDEXES = [
  'CREATE INDEX IF NOT EXISTS `idx_artifact_uri` ON `Artifact`(`uri`)',
  'CREATE INDEX IF NOT EXISTS `idx_artifact_create_time_since_epoch` ON `Artifact`(`create_time_since_epoch`)',
  'CREATE INDEX IF NOT EXISTS `idx_artifact_last_update_time_since_epoch` ON `Artifact`(`last_update_time_since_epoch`)',
  'CREATE INDEX IF NOT EXISTS `idx_event_execution_id` ON `Event`(`execution_id`)',
  'CREATE INDEX IF NOT EXISTS `idx_parentcontext_parent_context_id` ON `ParentContext`(`parent_context_id`)',
  'CREATE INDEX IF NOT EXISTS `idx_type_name` ON `Type`(`name`)',
  'CREATE INDEX IF NOT EXISTS `idx_execution_create_time_since_epoch` ON `Execution`(`create_time_since_epoch`)',
  'CREATE INDEX IF NOT EXISTS `idx_execution_last_update_time_since_epoch` ON `Execution`(`last_update_time_since_epoch`)',
  'CREATE INDEX IF NOT EXISTS `idx_context_create_time_since_epoch` ON `Context`(`create_time_since_epoch`)',
  'CREATE INDEX IF NOT EXISTS `idx_context_last_update_time_since_epoch` ON `Context`(`last_update_time_since_epoch`)',
  'CREATE INDEX IF NOT EXISTS `idx_eventpath_event_id` ON `EventPath`(`event_id`)',
  ...propertyIndexesSqlite('ArtifactProperty', 'artifact'),
  ...propertyIndexesSqlite('ExecutionProperty', 'execution'),
  ...propertyIndexesSqlite('ContextProperty', 'context'),
  'CREATE INDEX IF NOT EXISTS `idx_type_external_id` ON `Type`(`external_id`)',
  'CREATE INDEX IF NOT EXISTS `idx_artifact_external_id` ON `Artifact`(`external_id`)',
  'CREATE INDEX IF NOT EXISTS `idx_execution_external_id` ON `Execution`(`external_id`)',
  'CREATE INDEX IF NOT EXISTS `idx_context_external_id` ON `Context`(`external_id`)',
];

const propertyColumnsPostgres = `
  name VARCHAR(255) NOT NULL,
  is_custom_property BOOLEAN NOT NULL,
  int_value INT,
  double_value DOUBLE PRECISION,
  string_value TEXT,
  byte_value BYTEA,
  proto_value BYTEA,
  bool_value BOOLEAN`;

/** Unquoted identifiers on purpose: PostgreSQL folds them to lower case, as upstream's do. */
const POSTGRES_TABLES = [
  `CREATE TABLE IF NOT EXISTS Type (
  id SERIAL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  version VARCHAR(255),
  type_kind SMALLINT NOT NULL,
  description TEXT,
  input_type TEXT,
  output_type TEXT,
  external_id VARCHAR(255) UNIQUE
)`,
  `CREATE TABLE IF NOT EXISTS ParentType (
  type_id INT NOT NULL,
  parent_type_id INT NOT NULL,
  PRIMARY KEY (type_id, parent_type_id)
)`,
  `CREATE TABLE IF NOT EXISTS TypeProperty (
  type_id INT NOT NULL,
  name VARCHAR(255) NOT NULL,
  data_type INT NULL,
  PRIMARY KEY (type_id, name)
)`,
  `CREATE TABLE IF NOT EXISTS Artifact (
  id SERIAL PRIMARY KEY,
  type_id INT NOT NULL,
  uri TEXT,
  state INT,
  name VARCHAR(255),
  external_id VARCHAR(255) UNIQUE,
  create_time_since_epoch BIGINT NOT NULL DEFAULT 0,
  last_update_time_since_epoch BIGINT NOT NULL DEFAULT 0,
  CONSTRAINT UniqueArtifactTypeName UNIQUE(type_id, name)
)`,
  `CREATE TABLE IF NOT EXISTS ArtifactProperty (
  artifact_id INT NOT NULL,${propertyColumnsPostgres},
  PRIMARY KEY (artifact_id, name, is_custom_property)
)`,
  `CREATE TABLE IF NOT EXISTS Execution (
  id SERIAL PRIMARY KEY,
  type_id INT NOT NULL,
  last_known_state INT,
  name VARCHAR(255),
  external_id VARCHAR(255) UNIQUE,
  create_time_since_epoch BIGINT NOT NULL DEFAULT 0,
  last_update_time_since_epoch BIGINT NOT NULL DEFAULT 0,
  CONSTRAINT UniqueExecutionTypeName UNIQUE(type_id, name)
)`,
  `CREATE TABLE IF NOT EXISTS ExecutionProperty (
  execution_id INT NOT NULL,${propertyColumnsPostgres},
  PRIMARY KEY (execution_id, name, is_custom_property)
)`,
  `CREATE TABLE IF NOT EXISTS Event (
  id SERIAL PRIMARY KEY,
  artifact_id INT NOT NULL,
  execution_id INT NOT NULL,
  type INT NOT NULL,
  milliseconds_since_epoch BIGINT,
  CONSTRAINT UniqueEvent UNIQUE(artifact_id, execution_id, type)
)`,
  `CREATE TABLE IF NOT EXISTS EventPath (
  event_id INT NOT NULL,
  is_index_step BOOLEAN NOT NULL,
  step_index INT,
  step_key TEXT
)`,
  `CREATE TABLE IF NOT EXISTS MLMDEnv (
  schema_version INT PRIMARY KEY
)`,
  `CREATE TABLE IF NOT EXISTS Context (
  id SERIAL PRIMARY KEY,
  type_id INT NOT NULL,
  name VARCHAR(255) NOT NULL,
  external_id VARCHAR(255) UNIQUE,
  create_time_since_epoch BIGINT NOT NULL DEFAULT 0,
  last_update_time_since_epoch BIGINT NOT NULL DEFAULT 0,
  UNIQUE(type_id, name)
)`,
  `CREATE TABLE IF NOT EXISTS ContextProperty (
  context_id INT NOT NULL,${propertyColumnsPostgres},
  PRIMARY KEY (context_id, name, is_custom_property)
)`,
  `CREATE TABLE IF NOT EXISTS ParentContext (
  context_id INT NOT NULL,
  parent_context_id INT NOT NULL,
  PRIMARY KEY (context_id, parent_context_id)
)`,
  `CREATE TABLE IF NOT EXISTS Association (
  id SERIAL PRIMARY KEY,
  context_id INT NOT NULL,
  execution_id INT NOT NULL,
  UNIQUE(context_id, execution_id)
)`,
  `CREATE TABLE IF NOT EXISTS Attribution (
  id SERIAL PRIMARY KEY,
  context_id INT NOT NULL,
  artifact_id INT NOT NULL,
  UNIQUE(context_id, artifact_id)
)`,
];

const POSTGRES_INDEXES = SQLITE_INDEXES.map((sql) =>
  sql
    .replace(/`/g, '')
    .replace(/ WHERE \w+ IS NOT NULL$/, ''),
);

export function v10TableStatements(dialect: Dialect): readonly string[] {
  return dialect === 'mysql' ? MYSQL_TABLES : dialect === 'sqlite' ? SQLITE_TABLES : POSTGRES_TABLES;
}

export function v10IndexStatements(dialect: Dialect): readonly string[] {
  return dialect === 'mysql' ? MYSQL_INDEXES : dialect === 'sqlite' ? SQLITE_INDEXES : POSTGRES_INDEXES;
}
