import type { DatabaseConfig, OpenOptions } from './config';
import type { Database } from './database';
import type { DatabaseObserver } from './observer';

/**
 * Connects, creates or checks the MLMD schema under a database-level lock, and returns the
 * process-wide pool. Failures are MlmdError: UNAVAILABLE when the database cannot be
 * reached, FAILED_PRECONDITION for a schema version we must not touch.
 */
export async function openDatabase(
  config: DatabaseConfig,
  options: OpenOptions,
  observer?: DatabaseObserver,
): Promise<Database> {
  void config;
  void options;
  void observer;
  throw new Error('openDatabase: not implemented yet');
}
