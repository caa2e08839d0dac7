import type { ServerInterceptor } from '@grpc/grpc-js';
import type { Database } from '../database/database';
import type { DatabaseConfig } from '../database/config';
import type { DatabaseObserver } from '../database/observer';
import { MetadataStoreServiceService } from '../generated/ml_metadata/proto/metadata_store_service';
import { observabilityInterceptors } from '../transport/interceptors';
import { knexPoolStats } from './database_metrics';
import { createLogger, type Logger, type LoggerOptions } from './logger';
import { createMetrics, type MlmdMetrics } from './metrics';
import { startMetricsServer, type MetricsServerHandle } from './metrics_server';
import { setRowsWrittenSink } from './rows_written';
import { logDatabaseTarget, logListening, logSchemaVersion } from './startup_log';

export interface ObservabilitySettings {
  logLevel: NonNullable<LoggerOptions['level']>;
  /** 0 = no /metrics endpoint. */
  metricsPort: number;
  slowRpcMs: number;
}

/**
 * Logging and metrics for one server process, wired together so that the entry point needs
 * a handful of lines:
 *
 *   const obs = await startObservability(settings);
 *   obs.connecting(settings.database);
 *   const db = await openDatabase(settings.database, options, obs.databaseObserver);
 *   obs.databaseOpened(db);
 *   new Server({ interceptors: obs.interceptors, ... });
 *   obs.listening(port);  ...  await obs.close();
 */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: MlmdMetrics;
  /** Pass to openDatabase(). */
  readonly databaseObserver: DatabaseObserver;
  /** Pass to `new Server({ interceptors })`. */
  readonly interceptors: ServerInterceptor[];
  readonly metricsServer: MetricsServerHandle | null;
  /** Logs which database (kind and host or path; never credentials) is being opened. */
  connecting(config: DatabaseConfig): void;
  /** Points the pool gauges at the open database and logs its schema version. */
  databaseOpened(db: Database): void;
  /** Logs the ports being served. */
  listening(grpcPort: number): void;
  /** Stops the /metrics endpoint and detaches the row counter. */
  close(): Promise<void>;
}

export async function startObservability(
  settings: ObservabilitySettings,
  options: { destination?: LoggerOptions['destination'] } = {},
): Promise<Observability> {
  const logger = createLogger({ level: settings.logLevel, destination: options.destination });
  const metrics = createMetrics();
  const detachRows = setRowsWrittenSink(metrics.rowsWritten);
  const metricsServer = await startMetricsServer(settings.metricsPort, metrics.registry);
  return {
    logger,
    metrics,
    databaseObserver: metrics.database,
    interceptors: observabilityInterceptors({
      logger,
      metrics: metrics.grpc,
      slowCallThresholdMs: settings.slowRpcMs,
      services: [MetadataStoreServiceService],
    }),
    metricsServer,
    connecting: (config) => logDatabaseTarget(logger, config),
    databaseOpened(db) {
      metrics.database.observePool(knexPoolStats(db.knex));
      logSchemaVersion(logger, db.schemaVersion);
    },
    listening: (grpcPort) => logListening(logger, { grpcPort, metricsPort: metricsServer?.port ?? null }),
    async close() {
      detachRows();
      await metricsServer?.close();
    },
  };
}
