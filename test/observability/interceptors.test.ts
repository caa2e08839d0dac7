import {
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  status as Status,
  type handleUnaryCall,
  type ServerInterceptor,
  type ServiceError,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MetadataStoreServiceClient,
  MetadataStoreServiceService,
} from '../../src/generated/ml_metadata/proto/metadata_store_service';
import { createLogger } from '../../src/observability/logger';
import { createMetrics, type MlmdMetrics } from '../../src/observability/metrics';
import { listenMetricsServer, type MetricsServerHandle } from '../../src/observability/metrics_server';
import { observabilityInterceptors } from '../../src/transport/interceptors';
import { LogCapture } from './log_capture';
import { sampleValue, scrape, type Sample } from './prometheus_text';

const SERVICE = 'ml_metadata.MetadataStoreService';
const SLOW_MS = 60;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Unary = handleUnaryCall<unknown, unknown>;

/** Handlers with known outcomes, one per method, so each label set is predictable. */
const handlers: Record<string, Unary> = {
  getArtifactTypes: (_call, cb) => cb(null, { artifactTypes: [] }),
  getArtifactType: (_call, cb) => cb({ code: Status.NOT_FOUND, details: 'No type found for query, name: `missing`' }),
  putArtifactType: (_call, cb) => cb({ code: Status.INVALID_ARGUMENT, details: 'No type name is specified.' }),
  getArtifacts: (_call, cb) => cb({ code: Status.INTERNAL, details: 'disk on fire' }),
  getExecutions: (_call, cb) => void sleep(SLOW_MS * 2).then(() => cb(null, { executions: [] })),
  getContexts: (_call, cb) => void sleep(600).then(() => cb(null, { contexts: [] })),
  getContextTypes: (_call, cb) => void sleep(600).then(() => cb(null, { contextTypes: [] })),
  // The request id the handler sees, echoed back through the one string field at hand.
  getArtifactsByUri: (call, cb) => cb(null, { artifacts: [{ uri: String(call.metadata.get('x-request-id')[0]) }] }),
};

async function startServer(interceptors: ServerInterceptor[]): Promise<{ server: Server; port: number }> {
  const server = new Server({ interceptors });
  server.addService(MetadataStoreServiceService, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { server, port };
}

interface CallResult {
  error: ServiceError | null;
  response: unknown;
  headers: Metadata | undefined;
}

/** Calls a unary method by its ts-proto name, collecting the response headers too. */
function call(
  client: MetadataStoreServiceClient,
  method: string,
  request: object,
  metadata = new Metadata(),
  deadlineMs?: number,
  cancelAfterMs?: number,
): Promise<CallResult> {
  return new Promise((resolve) => {
    let headers: Metadata | undefined;
    const options = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
    const fn = (client as unknown as Record<string, Function>)[method].bind(client);
    const c = fn(request, metadata, options, (error: ServiceError | null, response: unknown) =>
      resolve({ error, response, headers: headers ?? error?.metadata }),
    );
    c.on('metadata', (md: Metadata) => (headers = md));
    if (cancelAfterMs !== undefined) setTimeout(() => c.cancel(), cancelAfterMs);
  });
}

describe('observability interceptors on a grpc-js server', () => {
  const logs = new LogCapture();
  let metrics: MlmdMetrics;
  let server: Server;
  let client: MetadataStoreServiceClient;
  let metricsServer: MetricsServerHandle;
  const results: Record<string, CallResult> = {};
  let samples: Sample[];
  let contentType: string | null;

  beforeAll(async () => {
    metrics = createMetrics();
    const logger = createLogger({ destination: logs, level: 'info' });
    const started = await startServer(
      observabilityInterceptors({
        logger,
        metrics: metrics.grpc,
        slowCallThresholdMs: SLOW_MS,
        services: [MetadataStoreServiceService],
      }),
    );
    server = started.server;
    client = new MetadataStoreServiceClient(`127.0.0.1:${started.port}`, credentials.createInsecure());
    metricsServer = await listenMetricsServer(0, metrics.registry, '127.0.0.1');

    const withId = new Metadata();
    withId.set('x-request-id', 'client-chosen-42');
    results.ok1 = await call(client, 'getArtifactTypes', {}, withId);
    results.ok2 = await call(client, 'getArtifactTypes', {});
    results.notFound = await call(client, 'getArtifactType', { typeName: 'missing' });
    results.invalid = await call(client, 'putArtifactType', { artifactType: {} });
    results.internal = await call(client, 'getArtifacts', {});
    results.slow = await call(client, 'getExecutions', {});
    results.deadline = await call(client, 'getContexts', {}, new Metadata(), 100);
    results.echo = await call(client, 'getArtifactsByUri', { uris: ['x'] });
    results.cancelled = await call(client, 'getContextTypes', {}, new Metadata(), undefined, 100);
    // Calls ended by the client are accounted when grpc-js reports the cancel; give it time.
    await sleep(700);
    ({ samples, contentType } = await scrape(metricsServer.port));
  });

  afterAll(async () => {
    client?.close();
    await new Promise<void>((r) => (server ? server.tryShutdown(() => r()) : r()));
    await metricsServer?.close();
  });

  const m = (grpc_method: string) => ({ grpc_type: 'unary', grpc_service: SERVICE, grpc_method });

  it('lets the handlers’ status codes through unchanged', () => {
    expect(results.ok1.error).toBeNull();
    expect(results.notFound.error?.code).toBe(Status.NOT_FOUND);
    expect(results.invalid.error?.code).toBe(Status.INVALID_ARGUMENT);
    expect(results.internal.error?.code).toBe(Status.INTERNAL);
    expect(results.slow.error).toBeNull();
    expect(results.deadline.error?.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(results.cancelled.error?.code).toBe(Status.CANCELLED);
  });

  it('serves the Prometheus text format', () => {
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('counts started and handled calls with go-grpc-prometheus labels and CamelCase codes', () => {
    expect(sampleValue(samples, 'grpc_server_started_total', m('GetArtifactTypes'))).toBe(2);
    expect(sampleValue(samples, 'grpc_server_handled_total', { ...m('GetArtifactTypes'), grpc_code: 'OK' })).toBe(2);
    expect(sampleValue(samples, 'grpc_server_started_total', m('GetArtifactType'))).toBe(1);
    expect(sampleValue(samples, 'grpc_server_handled_total', { ...m('GetArtifactType'), grpc_code: 'NotFound' })).toBe(1);
    expect(sampleValue(samples, 'grpc_server_handled_total', { ...m('GetArtifactType'), grpc_code: 'OK' })).toBe(0);
    expect(
      sampleValue(samples, 'grpc_server_handled_total', { ...m('PutArtifactType'), grpc_code: 'InvalidArgument' }),
    ).toBe(1);
    expect(sampleValue(samples, 'grpc_server_handled_total', { ...m('GetArtifacts'), grpc_code: 'Internal' })).toBe(1);
    // The client gives up when its deadline passes and resets the stream; on a loaded machine
    // that reset can reach the server before the server's own timer fires, and the server
    // then sees a plain cancel. Either way the call is accounted exactly once.
    const deadlineCodes = ['DeadlineExceeded', 'Canceled'].map(
      (grpc_code) => sampleValue(samples, 'grpc_server_handled_total', { ...m('GetContexts'), grpc_code }) ?? 0,
    );
    expect(deadlineCodes[0] + deadlineCodes[1]).toBe(1);
    expect(sampleValue(samples, 'grpc_server_handled_total', { ...m('GetContexts'), grpc_code: 'OK' })).toBe(0);
    expect(sampleValue(samples, 'grpc_server_handled_total', { ...m('GetContextTypes'), grpc_code: 'Canceled' })).toBe(1);
    expect(sampleValue(samples, 'grpc_server_handled_total', { ...m('GetContextTypes'), grpc_code: 'OK' })).toBe(0);
    // No UPPER_SNAKE code names anywhere.
    expect(samples.some((s) => /^[A-Z_]+$/.test(s.labels.grpc_code ?? '') && s.labels.grpc_code !== 'OK')).toBe(false);
  });

  it('creates every method’s series at zero before any call (as the Go exporter does)', () => {
    expect(sampleValue(samples, 'grpc_server_started_total', m('PutExecution'))).toBe(0);
    expect(sampleValue(samples, 'grpc_server_handled_total', { ...m('PutExecution'), grpc_code: 'Unavailable' })).toBe(0);
    expect(sampleValue(samples, 'grpc_server_handling_seconds_count', m('PutExecution'))).toBe(0);
    const methods = new Set(
      samples.filter((s) => s.name === 'grpc_server_started_total').map((s) => s.labels.grpc_method),
    );
    expect(methods.size).toBe(Object.keys(MetadataStoreServiceService).length);
  });

  it('observes handling time in the histogram, without a code label', () => {
    expect(sampleValue(samples, 'grpc_server_handling_seconds_count', m('GetArtifactTypes'))).toBe(2);
    expect(sampleValue(samples, 'grpc_server_handling_seconds_count', m('GetArtifactType'))).toBe(1);
    const slow = m('GetExecutions');
    expect(sampleValue(samples, 'grpc_server_handling_seconds_count', slow)).toBe(1);
    // The slow call took >= 120 ms: it is in the 0.25 s bucket but not in the 0.1 s one.
    expect(sampleValue(samples, 'grpc_server_handling_seconds_bucket', { ...slow, le: '0.1' })).toBe(0);
    expect(sampleValue(samples, 'grpc_server_handling_seconds_bucket', { ...slow, le: '0.25' })).toBe(1);
    expect(sampleValue(samples, 'grpc_server_handling_seconds_sum', slow)).toBeGreaterThanOrEqual(0.11);
    expect(samples.some((s) => s.name.startsWith('grpc_server_handling_seconds') && 'grpc_code' in s.labels)).toBe(false);
  });

  it('counts messages received and sent', () => {
    expect(sampleValue(samples, 'grpc_server_msg_received_total', m('GetArtifactTypes'))).toBe(2);
    expect(sampleValue(samples, 'grpc_server_msg_sent_total', m('GetArtifactTypes'))).toBe(2);
    expect(sampleValue(samples, 'grpc_server_msg_received_total', m('GetArtifactType'))).toBe(1);
    expect(sampleValue(samples, 'grpc_server_msg_sent_total', m('GetArtifactType'))).toBe(0);
  });

  it('exports Node.js process metrics from the same registry', () => {
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    expect(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
    expect(samples.some((s) => s.name === 'process_cpu_seconds_total')).toBe(true);
  });

  it('logs one line per RPC with method, code, duration, peer and request id', () => {
    const rpcLines = logs.lines.filter((l) => 'grpc_method' in l);
    expect(rpcLines).toHaveLength(9);
    const byMethod = (name: string) => rpcLines.filter((l) => l.grpc_method === name);
    const [first, second] = byMethod('GetArtifactTypes');
    expect(first).toMatchObject({
      level: 'info',
      msg: 'rpc finished',
      grpc_service: SERVICE,
      grpc_code: 'OK',
      grpc_status: 0,
      request_id: 'client-chosen-42',
    });
    expect(typeof first.duration_ms).toBe('number');
    expect(first.peer).toMatch(/127\.0\.0\.1/);
    expect(second.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(byMethod('GetArtifactType')[0]).toMatchObject({
      level: 'info',
      grpc_code: 'NotFound',
      grpc_status: 5,
      grpc_message: 'No type found for query, name: `missing`',
    });
    expect(byMethod('PutArtifactType')[0]).toMatchObject({ grpc_code: 'InvalidArgument' });
    expect(byMethod('GetArtifacts')[0]).toMatchObject({ level: 'error', grpc_code: 'Internal' });
    expect(['DeadlineExceeded', 'Canceled']).toContain(byMethod('GetContexts')[0].grpc_code);
    expect(byMethod('GetContextTypes')).toHaveLength(1);
    expect(byMethod('GetContextTypes')[0]).toMatchObject({ grpc_code: 'Canceled', grpc_status: 1 });
    // Every call has its own id: ok1 the one it sent, the eight others a fresh one each.
    expect(new Set(rpcLines.map((l) => l.request_id)).size).toBe(9);
  });

  it('logs calls slower than the threshold as warnings', () => {
    const slow = logs.lines.find((l) => l.grpc_method === 'GetExecutions');
    expect(slow).toMatchObject({ level: 'warn', msg: 'slow rpc', slow: true, grpc_code: 'OK' });
    expect(slow!.duration_ms as number).toBeGreaterThanOrEqual(SLOW_MS);
    const fast = logs.lines.find((l) => l.grpc_method === 'GetArtifactTypes');
    expect(fast).not.toHaveProperty('slow');
  });

  it('echoes the request id to the client and hands it to the handler', () => {
    expect(results.ok1.headers?.get('x-request-id')).toEqual(['client-chosen-42']);
    const generated = results.ok2.headers?.get('x-request-id')[0];
    expect(generated).toBe(logs.lines.filter((l) => l.grpc_method === 'GetArtifactTypes')[1].request_id);
    // Trailers-only error responses carry it too.
    expect(results.notFound.headers?.get('x-request-id')[0]).toBe(
      logs.lines.find((l) => l.grpc_method === 'GetArtifactType')!.request_id,
    );
    const seenByHandler = (results.echo.response as { artifacts: { uri: string }[] }).artifacts[0].uri;
    expect(seenByHandler).toBe(logs.lines.find((l) => l.grpc_method === 'GetArtifactsByURI')!.request_id);
  });
});
