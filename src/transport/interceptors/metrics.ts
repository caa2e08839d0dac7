import type { Counter, Histogram } from 'prom-client';
import { GRPC_CODE_NAMES, grpcCodeName } from '../../observability/grpc_code_names';
import { methodLabels, type GrpcServerMetrics, type MethodShape } from '../../observability/grpc_metrics';
import type { CallObserver } from './call_observer';

/** One method's series, resolved once: prom-client hashes the label set on every unbound call. */
interface MethodSeries {
  started: Counter.Internal;
  msgReceived: Counter.Internal;
  msgSent: Counter.Internal;
  handlingSeconds: Histogram.Internal<string>;
  handled: Counter.Internal[];
  handledOther: (code: number) => void;
}

function resolveSeries(metrics: GrpcServerMetrics, method: MethodShape): MethodSeries {
  const labels = methodLabels(method);
  return {
    started: metrics.started.labels(labels),
    msgReceived: metrics.msgReceived.labels(labels),
    msgSent: metrics.msgSent.labels(labels),
    handlingSeconds: metrics.handlingSeconds.labels(labels),
    handled: GRPC_CODE_NAMES.map((grpc_code) => metrics.handled.labels({ ...labels, grpc_code })),
    handledOther: (code) => metrics.handled.inc({ ...labels, grpc_code: grpcCodeName(code) }),
  };
}

/** Updates the grpc_server_* series (go-grpc-prometheus conventions) for every call. */
export function metricsObserver(metrics: GrpcServerMetrics): CallObserver {
  // Keyed by path; grpc-js only routes registered methods to interceptors, so this is bounded.
  const byPath = new Map<string, MethodSeries>();
  return (method) => {
    let series = byPath.get(method.path);
    if (!series) byPath.set(method.path, (series = resolveSeries(metrics, method)));
    const s = series;
    s.started.inc();
    return {
      receivedMessage: () => s.msgReceived.inc(),
      sentMessage: () => s.msgSent.inc(),
      finished: ({ code, seconds }) => {
        const handled = s.handled[code];
        if (handled) handled.inc();
        else s.handledOther(code);
        s.handlingSeconds.observe(seconds);
      },
    };
  };
}
