import cluster from 'node:cluster';
import { runPrimary } from './cluster/primary';
import { joinCluster } from './cluster/worker_link';
import { ConfigError, EXIT_USAGE, loadServerSettings, type ServerSettings } from './config';
import type { Database } from './database';
import { openWhenReachable } from './database/open_when_reachable';
import { knexPoolStats } from './observability/database_metrics';
import { createLogger, type Logger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { RetentionMetrics } from './observability/retention_metrics';
import { TenancyMetrics } from './observability/tenancy_metrics';
import type { TenancyGate } from './tenancy';
import { startMetricsServer, type MetricsServerHandle } from './observability/metrics_server';
import { logDatabaseTarget, logListening, logSchemaVersion } from './observability/startup_log';
import { unavailable } from './errors';
import { MetadataStore } from './store/metadata_store';
import { StoreThreads } from './threads/store_threads';
import { sqliteThreads } from './database/knex_config';
import { Purger } from './store/retention/purge';
import { RETENTION_LOCK_NAME, RetentionScheduler } from './store/retention/retention_scheduler';
import { tryAcquireSessionLock } from './database/session_lock';
import { observabilityInterceptors } from './transport/interceptors';
import { LateDispatcher, LatePurger } from './transport/late_dispatcher';
import { startServer, type RunningServer } from './transport/server';
import { APPLICATION_SERVICE_DEFINITIONS } from './transport/services';
import { MLMD_MIGRATIONS } from '../migrations';

const PROGRAM = 'mlmd-server';
/** Start-up failures that are not usage errors (database unreachable, port taken). */
const EXIT_STARTUP_FAILURE = 1;
/**
 * Shutdown's last resort, past the grace period: whatever the database (or a stuck pool) does,
 * the process is gone this long after the grace ended.
 */
const EXIT_BACKSTOP_MS = 900;

/** One line on stderr, whatever the log level or format: what an operator reads first. */
function fail(message: string, exitCode: number): never {
  process.stderr.write(`${PROGRAM}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(exitCode);
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
  if (settings.workers > 1 && cluster.isPrimary) {
    for (const warning of settings.warnings) logger.warn(warning);
    logDatabaseTarget(logger, settings.database);
    await runPrimary({
      workers: settings.workers,
      metricsPort: settings.metricsPort,
      shutdownGraceMs: settings.shutdownGraceMs,
      logger,
      onListening: (ports) => logListening(logger, ports),
      fail,
    });
    return;
  }
  await serve(settings, logger);
}

/**
 * Serves gRPC from this process: alone, or as one worker of a multi-process server, which
 * leaves the start-up lines, /metrics and signals to the primary. Every worker opens the
 * database itself, waiting for it as a single process does; the primary starts the first
 * worker alone (primary.ts), so that one prepares the schema and reports a database that
 * never comes, and the rest open a ready database.
 */
async function serve(settings: ServerSettings, rootLogger: Logger): Promise<void> {
  const metrics = createMetrics();
  const link = joinCluster(metrics.registry);
  const logger = link ? rootLogger.child({ worker: link.workerId }) : rootLogger;
  if (!link) for (const warning of settings.warnings) logger.warn(warning);

  // The gRPC port comes up early only when the database is not there on the first try, so
  // that health can say NOT_SERVING while start-up waits; calls meanwhile are UNAVAILABLE.
  const dispatcher = new LateDispatcher();
  const purger = new LatePurger();
  const retentionMetrics = new RetentionMetrics(metrics.registry);
  let tenancy: TenancyGate | undefined;
  if (settings.tenancy) {
    try {
      // Loaded only when on: the Kubernetes client alone costs most of a second of start-up.
      const { createTenancyGate } = await import('./tenancy/create_tenancy_gate');
      tenancy = createTenancyGate(settings.tenancy, { observer: new TenancyMetrics(metrics.registry), log: logger });
    } catch (e) {
      fail((e as Error).message, EXIT_USAGE);
    }
    if (!link || link.workerId === 1) {
      const t = settings.tenancy;
      logger.info(
        {
          tenancy: t.mode,
          source: t.source,
          identity: Object.entries(t.identity).filter(([, v]) => !!v).map(([k]) => k),
          authorization: t.authorization?.kind ?? 'none',
          anonymous_grpc: t.anonymous.grpc,
          unowned: t.unownedVisible ? 'visible' : 'system-only',
        },
        'tenancy on',
      );
    }
  }
  let retention: RetentionScheduler | undefined;
  let db: Database | undefined;
  // On a SQLite file, whole RPCs run in threads of their own (src/threads/); `db` keeps
  // schema set-up, health pings, the retention purge and its lock.
  let storeThreads: StoreThreads | undefined;
  const threadedSqlite = settings.database.kind === 'sqlite' && settings.database.filename !== ':memory:';
  let server: RunningServer | undefined;
  let metricsServer: MetricsServerHandle | null = null;
  const startupAbort = new AbortController();
  let grpcStarting: Promise<RunningServer> | undefined;
  const startGrpc = () =>
    (grpcStarting ??= startServer({
      store: dispatcher,
      purger,
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
      health: { ping: () => (db ? db.ping() : Promise.reject(new Error('the metadata database is not open yet'))) },
      web: settings.web,
      tenancy,
      logger,
    }).then((started) => (server = started)));

  let stopping = false;
  const stop = async (signal: NodeJS.Signals | 'primary', force = false) => {
    if (stopping) {
      // A worker hears a terminal's Ctrl-C and its primary's request: only a real second signal forces.
      if (signal === 'primary' && !force) return;
      logger.warn({ signal }, 'second signal; cancelling in-flight calls now');
      server?.server.forceShutdown();
      return;
    }
    stopping = true;
    startupAbort.abort();
    const graceMs = settings.shutdownGraceMs;
    logger.info({ signal, grace_ms: graceMs }, 'shutting down: no new calls, waiting for in-flight ones');
    setTimeout(() => {
      logger.warn({ grace_ms: graceMs }, 'shutdown still not done after the grace period; exiting now');
      process.exit(0);
    }, graceMs + EXIT_BACKSTOP_MS);
    // A running pass stops after its current batch (each batch is its own transaction).
    await retention?.stop();
    const { forced } = server ? await server.shutdown(graceMs) : { forced: false };
    if (forced && db) {
      // Their callers were told the call failed: none of their writes may commit now.
      const reason = unavailable('The server is shutting down; the call was cancelled and rolled back.');
      const n = (storeThreads?.abortCalls(reason) ?? 0) + db.abortTransactions(reason);
      if (n > 0) logger.warn({ transactions: n }, 'rolled back transactions still in flight after the grace period');
    }
    await metricsServer?.close().catch(() => undefined);
    await storeThreads?.close().catch((e: unknown) => logger.warn({ err: e }, 'closing the SQLite store threads failed'));
    await db?.close().catch((e: unknown) => logger.warn({ err: e }, 'closing the database pool failed'));
    logger.info({ forced }, 'stopped');
    // The logger flushes its pending stdout writes synchronously on exit: nothing is lost here.
    process.exit(0);
  };
  process.on('SIGTERM', (s) => void stop(s));
  process.on('SIGINT', (s) => void stop(s));
  link?.onShutdownRequest((force) => void stop('primary', force));

  if (!link) logDatabaseTarget(logger, settings.database);
  try {
    db = await openWhenReachable(
      settings.database,
      // With store threads serving the calls, this pool only pings, purges and locks.
      { schema: settings.schema, migrations: MLMD_MIGRATIONS, poolMax: threadedSqlite ? 2 : settings.dbPoolSize, timeouts: settings.dbTimeouts },
      metrics.database,
      {
        unreachableForMs: settings.dbStartupTimeoutMs,
        abortedRetries: settings.connectionRetries,
        signal: startupAbort.signal,
        onFirstUnreachable: () => {
          if (settings.dbStartupTimeoutMs > 0) {
            void startGrpc().then(
              (s) => logger.info({ grpc_port: s.port }, 'gRPC port open while waiting for the database; health is NOT_SERVING'),
              (e: Error) => fail(e.message, EXIT_STARTUP_FAILURE),
            );
          }
        },
        onRetry: ({ number, delayMs, error, reason }) =>
          logger.warn(
            { attempt: number, retry_in_ms: delayMs, reason, error: error.message },
            reason === 'unreachable'
              ? `the metadata database is unreachable; retrying (for up to ${settings.dbStartupTimeoutMs / 1000} s in all, --db_startup_timeout_seconds)`
              : 'opening the database was aborted; retrying',
          ),
      },
    );
  } catch (e) {
    if (stopping) return;
    logger.error({ err: e }, 'cannot open the metadata database');
    await server?.shutdown(0).catch(() => undefined);
    fail((e as Error)?.message ?? String(e), EXIT_STARTUP_FAILURE);
  }
  if (stopping) {
    await db.close().catch(() => undefined);
    return;
  }
  metrics.database.observePool(knexPoolStats(db.knex));
  metrics.database.observeWriteTurns(db.writeTurns);
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
  // One schema line per server: a worker's is written by the first worker only.
  if (!link || link.workerId === 1) logSchemaVersion(logger, db.schemaVersion);

  try {
    if (threadedSqlite && settings.database.kind === 'sqlite') {
      // The file is prepared (schema created or migrated) by `db`: the threads only open it.
      storeThreads = await StoreThreads.open({
        config: settings.database,
        schemaVersion: db.schemaVersion,
        timeouts: settings.dbTimeouts,
        threads: sqliteThreads(settings.dbPoolSize),
        writeTurns: db.writeTurns,
        boundedReadsInline: true,
        observer: metrics.database,
        onThreadLost: (e) => logger.error({ err: e }, 'a SQLite store thread stopped; a new one replaces it'),
      });
      if (stopping) {
        await storeThreads.close().catch(() => undefined);
        return;
      }
      // The pool gauges describe what calls wait for: a free store thread.
      const stats = storeThreads.stats();
      metrics.database.observePool(() => stats);
    }
    dispatcher.ready(storeThreads ?? new MetadataStore(db));
    purger.ready(new Purger(db));
    const grpc = await startGrpc();
    // Without waiting for the next periodic ping: SERVING as soon as the database is open.
    await grpc.health.check();
    if (grpc.webPort !== undefined && (!link || link.workerId === 1)) {
      logger.info(
        { grpc_web_port: grpc.webPort, cors_allowed_origins: settings.web?.corsAllowedOrigins ?? [] },
        'serving gRPC-web and JSON (HTTP/1.1 and HTTP/2 cleartext)',
      );
    }
    if (retention && settings.retention) {
      // Every worker runs the policy; the database lock lets one replica (or worker) purge at a time.
      retention.start();
      const r = settings.retention;
      logger.info(
        { source: r.source, rules: r.rules.map((x) => x.name), interval_ms: r.intervalMs, batch_size: r.batchSize, dry_run: r.dryRun, first_pass_in_ms: r.initialDelayMs },
        'retention policy active',
      );
    }
    if (link) {
      // The primary serves /metrics for every worker and writes the "serving" line.
      link.reportListening(grpc.port);
      return;
    }
    metricsServer = await startMetricsServer(settings.metricsPort, metrics.registry).catch((e: Error) => {
      throw new Error(`cannot serve metrics on port ${settings.metricsPort}: ${e.message} (choose another with --metrics_port, 0 = off)`);
    });
    logListening(logger, { grpcPort: grpc.port, metricsPort: metricsServer?.port ?? null });
  } catch (e) {
    await storeThreads?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    fail((e as Error).message, EXIT_STARTUP_FAILURE);
  }
}

main().catch((e: unknown) => {
  fail(`unexpected start-up failure: ${(e as Error)?.stack ?? String(e)}`.split('\n')[0], EXIT_STARTUP_FAILURE);
});
