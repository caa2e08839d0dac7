import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { isWorkerMessage, type WorkerMessage } from './worker_messages';

/** A server worker's side of the channel to its primary (see primary.ts). */
export interface WorkerLink {
  readonly workerId: number;
  /** Tells the primary this worker's gRPC server is bound. */
  reportListening(grpcPort: number): void;
  /**
   * `stop(force)` runs when the primary asks for a shutdown (force = a second signal), and
   * with force = false when the primary is gone (the IPC channel closed), so no worker
   * outlives its primary.
   */
  onShutdownRequest(stop: (force: boolean) => void): void;
}

/**
 * In a cluster worker: answers the primary's metrics requests from `registry` (instead of
 * prom-client's global registry) and returns the link; elsewhere returns null.
 */
export function joinCluster(registry: Registry): WorkerLink | null {
  if (!cluster.isWorker || !cluster.worker) return null;
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's listener for the primary's metrics requests.
  new AggregatorRegistry();
  const workerId = cluster.worker.id;
  const send = (message: WorkerMessage) => {
    if (process.connected) process.send?.(message);
  };
  return {
    workerId,
    reportListening: (grpcPort) => send({ type: 'mlmd:listening', grpcPort }),
    onShutdownRequest(stop) {
      process.on('message', (message: unknown) => {
        if (!isWorkerMessage(message)) return;
        if (message.type === 'mlmd:shutdown') stop(false);
        else if (message.type === 'mlmd:force-shutdown') stop(true);
      });
      process.once('disconnect', () => stop(false));
    },
  };
}
