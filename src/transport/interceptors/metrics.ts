import type { ServerInterceptor } from '@grpc/grpc-js';
import { grpcCodeName } from '../../observability/grpc_code_names';
import { methodLabels, type GrpcServerMetrics } from '../../observability/grpc_metrics';
import { interceptorOf, type CallObserver } from './call_observer';

/** Updates the grpc_server_* series (go-grpc-prometheus conventions) for every call. */
export function metricsObserver(metrics: GrpcServerMetrics): CallObserver {
  return (method) => {
    const labels = methodLabels(method);
    metrics.started.inc(labels);
    return {
      receivedMessage: () => metrics.msgReceived.inc(labels),
      sentMessage: () => metrics.msgSent.inc(labels),
      finished: ({ code, seconds }) => {
        metrics.handled.inc({ ...labels, grpc_code: grpcCodeName(code) });
        metrics.handlingSeconds.observe(labels, seconds);
      },
    };
  };
}

export function metricsInterceptor(metrics: GrpcServerMetrics): ServerInterceptor {
  return interceptorOf(metricsObserver(metrics));
}
