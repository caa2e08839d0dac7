import { ConfigError, EXIT_USAGE, loadServerSettings, type ServerSettings } from './config';
import { openDatabase, type Database } from './database';
import { knexPoolStats } from './observability/database_metrics';
import { createLogger, type Logger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { RetentionMetrics } from './observability/retention_metrics';
import { startMetricsServer, type MetricsServerHandle } from './observability/metrics_server';
import { logDatabaseTarget, logListening, logSchemaVersion } from './observability/startup_log';
import { isMlmdError, StatusCode } from './errors';
import { MetadataStore } from './store/metadata_store';
import { Purger } from './store/retention/purge';
import { RETENTION_LOCK_NAME, RetentionScheduler } from './store/retention/retention_scheduler';
import { tryAcquireSessionLock } from './database/session_lock';
import { observabilityInterceptors } from './transport/interceptors';
import { startServer, type RunningServer } from './transport/server';
import { APPLICATION_SERVICE_DEFINITIONS } from './transport/services';
import { MLMD_MIGRATIONS } from '../migrations';

const PROGRAM = 'mlmd-server';
/** Start-up failures that are not usage errors (database unreachable, port taken). */
const EXIT_STARTUP_FAILURE = 1;
const RETRY_DELAY_MS = 200;

/** One line on stderr, whatever the log level or format: what an operator reads first. */
function fail(message: string, exitCode: number): never {
  process.stderr.write(`${PROGRAM}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(exitCode);
}

/**
 * Opens the database, retrying while it answers ABORTED (another server initialising the
 * same schema), as upstream does --metadata_store_connection_retries times.
 */
async function openWithRetries(settings: ServerSettings, logger: Logger, observer: Parameters<typeof openDatabase>[2]): Promise<Database> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await openDatabase(settings.database, { schema: settings.schema, migrations: MLMD_MIGRATIONS, poolMax: settings.dbPoolSize }, observer);
    } catch (e) {
      if (!(isMlmdError(e) && e.code === StatusCode.ABORTED && attempt < settings.connectionRetries)) throw e;
      logger.warn({ attempt: attempt + 1, err: e }, 'opening the database was aborted; retrying');
      await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
    }
  }
}

async function main(): Promise<void> {
  let settings: ServerSettings;
  try {
    const result = loadServerSettings(process.argv.slice(2));
    if (result.kind === 'help') {
      process.stdout.write(result.text);
      return;
    }
    settings = result.settings;
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message, EXIT_USAGE);
    throw e;
  }

  const logger = createLogger({ level: settings.logLevel });
  for (const warning of settings.warnings) logger.warn(warning);
  const metrics = createMetrics();

  logDatabaseTarget(logger, settings.database);
  let db: Database;
  try {
    db = await openWithRetries(settings, logger, metrics.database);
  } catch (e) {
    logger.error({ err: e }, 'cannot open the metadata database');
    fail((e as Error)?.message ?? String(e), EXIT_STARTUP_FAILURE);
  }
  metrics.database.observePool(knexPoolStats(db.knex));
  logSchemaVersion(logger, db.schemaVersion);
  const retentionMetrics = new RetentionMetrics(metrics.registry);
  let retention: RetentionScheduler | undefined;
  if (settings.retention) {
    const database = db;
    retention = new RetentionScheduler(db, settings.retention, {
      logger,
      tryLock: () => tryAcquireSessionLock(database, RETENTION_LOCK_NAME),
      observer: { batchCommitted: (b) => retentionMetrics.nodesPurged(b.counts), passFinished: (o) => retentionMetrics.runFinished(o) },
    });
    try {
      retention.validate();
    } catch (e) {
      await db.close().catch(() => undefined);
      fail(`${settings.retention.source}: ${(e as Error).message}`, EXIT_USAGE);
    }
  }

  let server: RunningServer;
  let metricsServer: MetricsServerHandle | null;
  try {
    server = await startServer({
      store: new MetadataStore(db),
      purger: new Purger(db),
      onPurgeBatch: (b) => retentionMetrics.nodesPurged(b.counts),
      port: settings.grpcPort,
      tls: settings.tls,
      channelArguments: settings.channelArguments,
      interceptors: observabilityInterceptors({
        logger,
        metrics: metrics.grpc,
        slowCallThresholdMs: settings.slowRpcMs,
        services: APPLICATION_SERVICE_DEFINITIONS,
      }),
      health: { ping: () => db.ping() },
      logger,
    });
    metricsServer = await startMetricsServer(settings.metricsPort, metrics.registry).catch((e: Error) => {
      throw new Error(`cannot serve metrics on port ${settings.metricsPort}: ${e.message} (choose another with --metrics_port, 0 = off)`);
    });
  } catch (e) {
    await db.close().catch(() => undefined);
    fail((e as Error).message, EXIT_STARTUP_FAILURE);
  }
  logListening(logger, { grpcPort: server.port, metricsPort: metricsServer?.port ?? null });
  if (retention && settings.retention) {
    retention.start();
    const r = settings.retention;
    logger.info(
      { source: r.source, rules: r.rules.map((x) => x.name), interval_ms: r.intervalMs, batch_size: r.batchSize, dry_run: r.dryRun, first_pass_in_ms: r.initialDelayMs },
      'retention policy active',
    );
  }

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal; cancelling in-flight calls now');
      server.server.forceShutdown();
      return;
    }
    stopping = true;
    logger.info({ signal, grace_ms: settings.shutdownGraceMs }, 'shutting down: no new calls, waiting for in-flight ones');
    // A running pass stops after its current batch (each batch is its own transaction).
    await retention?.stop();
    const { forced } = await server.shutdown(settings.shutdownGraceMs);
    await metricsServer?.close().catch(() => undefined);
    await db.close().catch((e: unknown) => logger.warn({ err: e }, 'closing the database pool failed'));
    logger.info({ forced }, 'stopped');
    // The logger flushes its pending stdout writes synchronously on exit: nothing is lost here.
    process.exit(0);
  };
  process.on('SIGTERM', (s) => void stop(s));
  process.on('SIGINT', (s) => void stop(s));
}

main().catch((e: unknown) => {
  fail(`unexpected start-up failure: ${(e as Error)?.stack ?? String(e)}`.split('\n')[0], EXIT_STARTUP_FAILURE);
});
