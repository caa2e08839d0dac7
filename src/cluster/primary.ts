import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from '../observability/logger';
import { startMetricsServer, type MetricsServerHandle } from '../observability/metrics_server';
import { isWorkerMessage, type WorkerMessage } from './worker_messages';

/** A worker that dies while serving is replaced after this pause (a crash loop stays slow). */
const RESPAWN_DELAY_MS = 1_000;
/**
 * After the workers' own grace period, how long the primary waits before killing stragglers:
 * a worker exits by itself at most 0.9 s past the grace (main.ts), so the whole server is gone
 * within grace + 1 s whatever the database does.
 */
const SHUTDOWN_MARGIN_MS = 1_000;

export interface PrimaryOptions {
  workers: number;
  metricsPort: number;
  shutdownGraceMs: number;
  logger: Logger;
  /** Logs the one "serving" line, once every worker is bound. */
  onListening(ports: { grpcPort: number; metricsPort: number | null }): void;
  /** Ends the process with a one-line message (start-up failures). */
  fail(message: string, exitCode: number): never;
}

/**
 * The primary of a multi-process server: it forks `workers` server
 * processes that share one gRPC port (Node's cluster module hands each accepted connection to
 * one of them), serves /metrics for all of them (prom-client's AggregatorRegistry asks every
 * worker for its registry and sums the series), replaces a worker that dies, and on
 * SIGTERM/SIGINT asks every worker to shut down gracefully and exits once all have.
 * It never serves gRPC itself and holds no database connection while serving.
 */
export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const { logger } = options;

  const aggregator = new AggregatorRegistry();
  let metricsServer: MetricsServerHandle | null = null;
  try {
    metricsServer = await startMetricsServer(options.metricsPort, {
      contentType: aggregator.contentType,
      metrics: () => aggregator.clusterMetrics(),
    });
  } catch (e) {
    options.fail(`cannot serve metrics on port ${options.metricsPort}: ${(e as Error).message} (choose another with --metrics_port, 0 = off)`, 1);
  }

  let stopping = false;
  let grpcPort: number | undefined;
  const live = new Set<Worker>();

  const fork = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      live.add(worker);
      let listening = false;
      worker.on('message', (message: unknown) => {
        if (!isWorkerMessage(message) || message.type !== 'mlmd:listening') return;
        listening = true;
        resolve(message.grpcPort);
      });
      worker.once('exit', (code, signal) => {
        live.delete(worker);
        if (!listening) {
          reject(Object.assign(new Error(`a server worker exited during start-up (${signal ?? `code ${code}`})`), { exitCode: code ?? 1 }));
          return;
        }
        if (stopping) return;
        logger.error({ worker: worker.id, code, signal }, 'a server worker died; starting a replacement');
        setTimeout(() => {
          if (!stopping) fork().catch((e: Error) => logger.error({ err: e }, 'the replacement worker failed to start'));
        }, RESPAWN_DELAY_MS).unref();
      });
    });

  const send = (message: WorkerMessage) => {
    for (const w of live) if (w.isConnected()) w.send(message);
  };
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal; workers cancel in-flight calls now');
      send({ type: 'mlmd:force-shutdown' });
      return;
    }
    stopping = true;
    logger.info({ signal, workers: live.size }, 'shutting down: asking every worker to finish its calls');
    const exited = [...live].map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    send({ type: 'mlmd:shutdown' });
    const killer = setTimeout(() => {
      logger.warn('workers did not exit in time; killing them');
      for (const w of live) w.process.kill('SIGKILL');
    }, options.shutdownGraceMs + SHUTDOWN_MARGIN_MS);
    await Promise.all(exited);
    clearTimeout(killer);
    await metricsServer?.close().catch(() => undefined);
    logger.info('stopped');
    process.exit(0);
  };
  // Installed before the first fork: a signal during start-up also ends every worker cleanly.
  process.on('SIGTERM', (s) => void stop(s));
  process.on('SIGINT', (s) => void stop(s));

  try {
    // The first worker alone, then the rest: the first one waits for the database, creates or
    // upgrades the schema and binds the shared socket (the primary owns it, bound on that first
    // request); if the database never comes, it is the only one to say so, in one line.
    grpcPort = await fork();
    if (!stopping) await Promise.all(Array.from({ length: options.workers - 1 }, fork));
  } catch (e) {
    // Asked to stop while starting: stop() waits for the workers and exits.
    if (stopping) return;
    stopping = true;
    for (const w of live) w.process.kill('SIGKILL');
    await metricsServer?.close().catch(() => undefined);
    // The worker already wrote its own one-line reason on the shared stderr.
    process.exit((e as { exitCode?: number }).exitCode || 1);
  }
  if (stopping) return;
  options.onListening({ grpcPort: grpcPort!, metricsPort: metricsServer?.port ?? null });
  logger.info({ workers: options.workers }, `${options.workers} server processes share port ${grpcPort}`);

}
