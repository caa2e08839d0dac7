import type { ServerInterceptor } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { GrpcServerMetrics, MethodShape } from '../../observability/grpc_metrics';
import { interceptorOf, type CallObserver } from './call_observer';
import { loggingObserver } from './logging';
import { metricsObserver } from './metrics';

export interface ObservabilityDeps {
  logger: Logger;
  /** grpc_server_* metrics; omit to log only. */
  metrics?: GrpcServerMetrics;
  /** Calls at least this slow log a warning (default 1000 ms). */
  slowCallThresholdMs?: number;
  /**
   * Service definitions whose methods get every grpc_server_* series created at zero up
   * front, e.g. [MetadataStoreServiceService].
   */
  services?: ReadonlyArray<Record<string, MethodShape>>;
}

/**
 * The interceptors to hand to `new Server({ interceptors })`: logging and metrics in one
 * intercepting layer (one wrapper per call instead of two).
 */
export function observabilityInterceptors(deps: ObservabilityDeps): ServerInterceptor[] {
  const observers: CallObserver[] = [loggingObserver(deps)];
  if (deps.metrics) {
    for (const service of deps.services ?? []) deps.metrics.preRegister(Object.values(service));
    observers.push(metricsObserver(deps.metrics));
  }
  return [interceptorOf(...observers)];
}

