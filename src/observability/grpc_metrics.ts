import { Counter, Histogram, type Registry } from 'prom-client';
import { GRPC_CODE_NAMES } from './grpc_code_names';

/** go-grpc-prometheus's default histogram buckets (Prometheus DefBuckets), in seconds. */
const HANDLING_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

/** What identifies a method in every grpc_server_* series. */
export interface GrpcMethodLabels {
  grpc_type: GrpcType;
  grpc_service: string;
  grpc_method: string;
}

/** The minimum of a grpc-js method definition needed to name it. */
export interface MethodShape {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}

/** Splits '/pkg.Service/Method' into the label triple; grpc-js only routes registered paths here. */
export function methodLabels(method: MethodShape): GrpcMethodLabels {
  const slash = method.path.lastIndexOf('/');
  return {
    grpc_type: grpcType(method.requestStream, method.responseStream),
    grpc_service: method.path.slice(1, slash),
    grpc_method: method.path.slice(slash + 1),
  };
}

function grpcType(requestStream: boolean, responseStream: boolean): GrpcType {
  if (requestStream) return responseStream ? 'bidi_stream' : 'client_stream';
  return responseStream ? 'server_stream' : 'unary';
}

/**
 * The server-side metrics of go-grpc-prometheus, same names and labels, so existing gRPC
 * dashboards and alerts work unchanged. As there, the handling-time histogram carries no
 * grpc_code label (error rates come from grpc_server_handled_total).
 */
export class GrpcServerMetrics {
  readonly started: Counter<keyof GrpcMethodLabels>;
  readonly handled: Counter<keyof GrpcMethodLabels | 'grpc_code'>;
  readonly handlingSeconds: Histogram<keyof GrpcMethodLabels>;
  readonly msgReceived: Counter<keyof GrpcMethodLabels>;
  readonly msgSent: Counter<keyof GrpcMethodLabels>;
  /**
   * Completed RPCs by the protocol they came in (grpc, grpc-web, json). The go-grpc-prometheus
   * families above count every call whatever its protocol, so their dashboards and alerts
   * keep their meaning; this one splits the same calls by protocol.
   */
  readonly handledByProtocol: Counter<'protocol' | 'grpc_service' | 'grpc_method' | 'grpc_code'>;

  constructor(registry: Registry) {
    const labelNames = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
    this.started = new Counter({
      name: 'grpc_server_started_total',
      help: 'Total number of RPCs started on the server.',
      labelNames,
      registers: [registry],
    });
    this.handled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: [...labelNames, 'grpc_code'],
      registers: [registry],
    });
    this.handlingSeconds = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
      labelNames,
      buckets: HANDLING_BUCKETS,
      registers: [registry],
    });
    this.msgReceived = new Counter({
      name: 'grpc_server_msg_received_total',
      help: 'Total number of RPC stream messages received on the server.',
      labelNames,
      registers: [registry],
    });
    this.handledByProtocol = new Counter({
      name: 'mlmd_rpc_handled_total',
      help: 'Total number of RPCs completed on the server, by protocol: grpc, grpc-web or json (through the HTTP bridge).',
      labelNames: ['protocol', 'grpc_service', 'grpc_method', 'grpc_code'],
      registers: [registry],
    });
    this.msgSent = new Counter({
      name: 'grpc_server_msg_sent_total',
      help: 'Total number of gRPC stream messages sent by the server.',
      labelNames,
      registers: [registry],
    });
  }

  /**
   * Creates every series of these methods at zero, every code included, so dashboards show
   * a flat line instead of "no data" before the first call (the Go exporter does the same).
   */
  preRegister(methods: Iterable<MethodShape>): void {
    for (const method of methods) {
      const labels = methodLabels(method);
      this.started.inc(labels, 0);
      this.msgReceived.inc(labels, 0);
      this.msgSent.inc(labels, 0);
      this.handlingSeconds.zero(labels);
      for (const grpc_code of GRPC_CODE_NAMES) this.handled.inc({ ...labels, grpc_code }, 0);
    }
  }
}
