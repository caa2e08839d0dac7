import type { Logger } from 'pino';
import type { DatabaseConfig } from '../database/config';

/**
 * Where the metadata lives, as loggable fields chosen one by one: kind, host/port or socket
 * or file, database name. Credentials are never read here, so no later change to the config
 * type can leak one into a log line.
 */
export function databaseTarget(config: DatabaseConfig): Record<string, string | number | boolean> {
  switch (config.kind) {
    case 'sqlite':
      return { kind: 'sqlite', path: config.filename, readonly: config.readonly ?? false };
    case 'mysql':
      return config.socket
        ? { kind: 'mysql', socket: config.socket, database: config.database }
        : { kind: 'mysql', host: config.host || 'localhost', port: config.port || 3306, database: config.database };
    case 'postgres':
      return {
        kind: 'postgres',
        host: config.hostaddr || config.host || 'localhost',
        port: config.port || 5432,
        database: config.dbname,
      };
  }
}

export function logDatabaseTarget(logger: Logger, config: DatabaseConfig): void {
  logger.info({ database: databaseTarget(config) }, 'connecting to the metadata database');
}

export function logSchemaVersion(logger: Logger, schemaVersion: number): void {
  logger.info({ schema_version: schemaVersion }, 'metadata schema ready');
}

export function logListening(logger: Logger, ports: { grpcPort: number; metricsPort?: number | null }): void {
  logger.info(
    { grpc_port: ports.grpcPort, metrics_port: ports.metricsPort ?? null },
    ports.metricsPort
      ? `serving ml_metadata.MetadataStoreService on port ${ports.grpcPort}, metrics on port ${ports.metricsPort}`
      : `serving ml_metadata.MetadataStoreService on port ${ports.grpcPort}, metrics disabled`,
  );
}
