export type { DatabaseConfig } from './config';
export type { Database } from './database';
export { openDatabase } from './open_database';
