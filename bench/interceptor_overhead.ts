/**
 * Overhead of the observability interceptors (logging + grpc_server_* metrics) on a trivial
 * unary RPC: the same handler served with and without them, called N times in alternating
 * rounds so machine noise hits both alike. Logs go to /dev/null through the same asynchronous
 * pino destination the server uses for stdout, so JSON serialisation and writes are included.
 *
 *   npx tsx bench/interceptor_overhead.ts [calls=20000] [concurrency=1]
 *
 * Client and server share this process (and its event loop), so per-call time includes the
 * client's work too: the ratio is a lower bound of the server-side overhead ratio; the
 * absolute difference in microseconds is the meaningful figure. On a loaded machine that
 * difference drowns in noise, so a second part drives the interceptor through one unary
 * call's events on a stub call (no network) and reports its CPU cost per call.
 */
import {
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import pino from 'pino';
import {
  MetadataStoreServiceClient,
  MetadataStoreServiceService,
} from '../src/generated/ml_metadata/proto/metadata_store_service';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { observabilityInterceptors } from '../src/transport/interceptors';
import { interceptorOf } from '../src/transport/interceptors/call_observer';
import { loggingObserver } from '../src/transport/interceptors/logging';
import { metricsObserver } from '../src/transport/interceptors/metrics';

/** What grpc-js hands a server call's start(); not exported under a name of its own. */
type Listener = Parameters<ServerInterceptingCallInterface['start']>[0];

const CALLS = Number(process.argv[2] ?? 20_000);
const CONCURRENCY = Number(process.argv[3] ?? 1);
const ROUNDS = 10;
const WARMUP = 2_000;

async function serve(interceptors: ServerInterceptor[]): Promise<{ server: Server; client: MetadataStoreServiceClient }> {
  const server = new Server({ interceptors });
  server.addService(MetadataStoreServiceService, {
    getArtifactTypes: (_call: unknown, cb: (e: null, r: object) => void) => cb(null, { artifactTypes: [] }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { server, client: new MetadataStoreServiceClient(`127.0.0.1:${port}`, credentials.createInsecure()) };
}

function once(client: MetadataStoreServiceClient): Promise<void> {
  return new Promise((resolve, reject) => client.getArtifactTypes({}, (e) => (e ? reject(e) : resolve())));
}

/** Runs `count` calls, `CONCURRENCY` in flight; returns each call's latency in microseconds. */
async function run(client: MetadataStoreServiceClient, count: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next++ < count) {
      const t = process.hrtime.bigint();
      await once(client);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e3);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return latencies;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const metrics = createMetrics();
  const logger = createLogger({ destination: pino.destination({ dest: '/dev/null', sync: false }) });
  const plain = await serve([]);
  const observed = await serve(
    observabilityInterceptors({ logger, metrics: metrics.grpc, services: [MetadataStoreServiceService] }),
  );

  await run(plain.client, WARMUP);
  await run(observed.client, WARMUP);

  const results = { plain: { lat: [] as number[], ms: 0 }, observed: { lat: [] as number[], ms: 0 } };
  const perRound = Math.ceil(CALLS / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, target] of [
      ['plain', plain],
      ['observed', observed],
    ] as const) {
      const t = performance.now();
      results[name].lat.push(...(await run(target.client, perRound)));
      results[name].ms += performance.now() - t;
    }
  }

  const summary = (name: 'plain' | 'observed') => {
    const sorted = [...results[name].lat].sort((a, b) => a - b);
    const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
    return {
      calls: sorted.length,
      rps: Math.round((sorted.length / results[name].ms) * 1000),
      mean_us: +mean.toFixed(1),
      p50_us: +percentile(sorted, 50).toFixed(1),
      p99_us: +percentile(sorted, 99).toFixed(1),
    };
  };
  const a = summary('plain');
  const b = summary('observed');
  console.log(`interceptor overhead, ${a.calls} calls each, concurrency ${CONCURRENCY}, node ${process.version}`);
  console.table({ 'without interceptors': a, 'with interceptors': b });
  console.log(
    `ratio with/without: mean ${(b.mean_us / a.mean_us).toFixed(3)}, p50 ${(b.p50_us / a.p50_us).toFixed(3)}, ` +
      `p99 ${(b.p99_us / a.p99_us).toFixed(3)}, throughput ${(b.rps / a.rps).toFixed(3)}; ` +
      `added per call (mean): ${(b.mean_us - a.mean_us).toFixed(1)} µs`,
  );

  for (const s of [plain, observed]) {
    s.client.close();
    s.server.forceShutdown();
  }

  const method = MetadataStoreServiceService.getArtifactTypes;
  const passThrough: ServerInterceptor = (_m, call) => new ServerInterceptingCall(call);
  const [ours] = observabilityInterceptors({ logger, metrics: metrics.grpc });
  const metricsOnly = interceptorOf(metricsObserver(metrics.grpc));
  const loggingOnly = interceptorOf(loggingObserver({ logger }));
  const stubCost = (interceptor: ServerInterceptor, n: number) => {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) driveUnaryCall(interceptor, method);
    return Number(process.hrtime.bigint() - t) / 1e3 / n;
  };
  for (const i of [passThrough, ours, metricsOnly, loggingOnly]) stubCost(i, 20_000);
  const base = stubCost(passThrough, 100_000);
  const cost = stubCost(ours, 100_000);
  const metricsCost = stubCost(metricsOnly, 100_000);
  const loggingCost = stubCost(loggingOnly, 100_000);
  console.log(
    `stub call, CPU per unary call: pass-through interceptor ${base.toFixed(2)} µs, ` +
      `observability interceptor ${cost.toFixed(2)} µs, added ${(cost - base).toFixed(2)} µs ` +
      `(metrics alone +${(metricsCost - base).toFixed(2)} µs, logging alone +${(loggingCost - base).toFixed(2)} µs)`,
  );
}

/** A server call stand-in: records the listener, completes sends at once. */
function stubCall(): ServerInterceptingCallInterface & { listener?: Listener } {
  return {
    start(listener) {
      this.listener = listener;
    },
    sendMetadata: () => {},
    sendMessage: (_m, cb) => cb(),
    sendStatus: () => {},
    startRead: () => {},
    getPeer: () => 'ipv4:127.0.0.1:50000',
    getDeadline: () => Infinity,
    getHost: () => 'localhost',
    getAuthContext: () => ({}),
    getConnectionInfo: () => ({}),
    getMetricsRecorder: () => undefined as never,
  } as ServerInterceptingCallInterface & { listener?: Listener };
}

const handlerListener: Listener = {
  onReceiveMetadata: () => {},
  onReceiveMessage: () => {},
  onReceiveHalfClose: () => {},
  onCancel: () => {},
};

/** The events of one successful unary call, in grpc-js order. */
function driveUnaryCall(interceptor: ServerInterceptor, method: Parameters<ServerInterceptor>[0]): void {
  const stub = stubCall();
  const call = interceptor(method, stub);
  call.start(handlerListener);
  stub.listener!.onReceiveMetadata(new Metadata());
  stub.listener!.onReceiveMessage({});
  stub.listener!.onReceiveHalfClose();
  call.sendMetadata(new Metadata());
  call.sendMessage({}, () => {});
  call.sendStatus({ code: 0, details: 'OK' });
  stub.listener!.onCancel();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
