export type { DatabaseConfig, Dialect, OpenOptions, SchemaOptions } from './config';
export type { Database, Tx } from './database';
export { openDatabase } from './open_database';
export { MLMD_TABLES, type TableName } from './tables';
