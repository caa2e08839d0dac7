/**
 * The IPC messages between the primary process and its server workers (--workers > 1).
 * prom-client's own metrics request/response messages share the channel; these carry a type
 * of their own so either side can tell them apart.
 */
export type WorkerMessage =
  /** Worker → primary: its gRPC server is bound (on the port every worker shares). */
  | { type: 'mlmd:listening'; grpcPort: number }
  /** Primary → worker: stop taking calls, finish in-flight ones within the grace period, exit. */
  | { type: 'mlmd:shutdown' }
  /** Primary → worker: a second signal arrived; cancel in-flight calls now. */
  | { type: 'mlmd:force-shutdown' };

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.startsWith('mlmd:');
}
