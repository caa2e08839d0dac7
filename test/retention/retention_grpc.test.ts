import { credentials, loadPackageDefinition, status as Status, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FileDescriptorProto } from '../../src/generated/google/protobuf/descriptor';
import type { Context } from '../../src/generated/ml_metadata/proto/metadata_store';
import { RetentionServiceClient, type PurgeOptions, type PurgeResult } from '../../src/generated/mlmd_ts/retention/v1/retention_service';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { RetentionMetrics } from '../../src/observability/retention_metrics';
import { Purger } from '../../src/store/retention/purge';
import { observabilityInterceptors } from '../../src/transport/interceptors';
import { startServer, type RunningServer } from '../../src/transport/server';
import { APPLICATION_SERVICE_DEFINITIONS } from '../../src/transport/services';
import { LogCapture } from '../observability/log_capture';
import { parsePrometheusText, sampleValue } from '../observability/prometheus_text';
import { describeStore } from '../store/store_suite';
import { rowCounts, uniqueName } from '../support/store_assertions';
import { createKfpRun, createKfpTypes, createPipeline, type KfpRun } from './kubeflow_graph';

type Method = 'purgeContexts' | 'purgeArtifacts' | 'purgeExecutions';
type Outcome = { ok: true; result: PurgeResult } | { ok: false; code: number; details: string };

function purge(client: RetentionServiceClient, method: Method, options: PurgeOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    (client[method] as Function).call(client, { options }, (error: ServiceError | null, response: { result: PurgeResult }) =>
      resolve(error ? { ok: false, code: error.code, details: error.details } : { ok: true, result: response.result }),
    );
  });
}

describeStore('RetentionService over gRPC', (ctx) => {
  let server: RunningServer;
  let client: RetentionServiceClient;
  const logs = new LogCapture();
  const metrics = createMetrics({ processMetrics: false });
  const retentionMetrics = new RetentionMetrics(metrics.registry);
  let ns: string;
  let runs: KfpRun[];
  let pipeline: Context;

  beforeAll(async () => {
    const logger = createLogger({ destination: logs });
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      store: ctx().store,
      purger: new Purger(ctx().db),
      onPurgeBatch: (b) => retentionMetrics.nodesPurged(b.counts),
      interceptors: observabilityInterceptors({ logger, metrics: metrics.grpc, services: APPLICATION_SERVICE_DEFINITIONS }),
      logger,
    });
    client = new RetentionServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    ns = uniqueName('g') + '.';
    const t = await createKfpTypes(ctx().call, ns);
    pipeline = await createPipeline(ctx().call, t, uniqueName('p'));
    runs = [];
    for (let i = 0; i < 3; i++) runs.push(await createKfpRun(ctx().call, t, pipeline, uniqueName('r')));
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown(0);
  });

  const runsFilter = () => `type = '${ns}system.PipelineRun'`;

  it('is listed by reflection, from its own file in its own package', async () => {
    const reflectionProto = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');
    const pkg = loadPackageDefinition(loadSync(reflectionProto, { keepCase: true })) as any;
    const reflection = new pkg.grpc.reflection.v1.ServerReflection(`127.0.0.1:${server.port}`, credentials.createInsecure());
    const stream = reflection.ServerReflectionInfo();
    const responses: any[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (r: any) => {
        responses.push(r);
        if (responses.length === 2) stream.end();
      });
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.write({ list_services: '*' });
    stream.write({ file_containing_symbol: 'mlmd_ts.retention.v1.RetentionService' });
    await done;
    reflection.close();
    const services = responses[0].list_services_response.service.map((s: { name: string }) => s.name);
    expect(services).toEqual(expect.arrayContaining(['ml_metadata.MetadataStoreService', 'mlmd_ts.retention.v1.RetentionService']));
    const files = responses[1].file_descriptor_response.file_descriptor_proto.map((b: Buffer) => FileDescriptorProto.decode(b));
    const file = files.find((f: FileDescriptorProto) => f.service?.some((s) => s.name === 'RetentionService'));
    expect(file.name).toBe('mlmd_ts/retention/v1/retention_service.proto');
    expect(file.package).toBe('mlmd_ts.retention.v1');
    expect(file.service[0].method.map((m: { name: string }) => m.name)).toEqual(['PurgeContexts', 'PurgeArtifacts', 'PurgeExecutions']);
  });

  it('is a dry run unless dry_run is false, and reports counts and samples', async () => {
    const before = await rowCounts(ctx().db);
    const outcome = await purge(client, 'purgeContexts', { filterQuery: `${runsFilter()} AND id = ${runs[0].context}` });
    expect(await rowCounts(ctx().db)).toEqual(before);
    expect(outcome).toMatchObject({ ok: true, result: { dryRun: true, batches: 0, complete: true } });
    const result = (outcome as { result: PurgeResult }).result;
    expect(result.counts).toMatchObject({ contexts: 1n, executions: 3n, artifacts: 2n, associations: 6n });
    expect(result.sampleContextIds).toEqual([runs[0].context]);
    expect(result.sampleExecutionIds).toEqual(runs[0].executions);
  });

  it('maps bad input to INVALID_ARGUMENT and FAILED_PRECONDITION through the shared error mapping, deleting nothing', async () => {
    const before = await rowCounts(ctx().db);
    expect(await purge(client, 'purgeContexts', { dryRun: false })).toMatchObject({ ok: false, code: Status.INVALID_ARGUMENT, details: expect.stringMatching(/needs a filter_query/) });
    expect(await purge(client, 'purgeArtifacts', { filterQuery: 'uri = ', dryRun: false })).toMatchObject({ ok: false, code: Status.INVALID_ARGUMENT });
    expect(await purge(client, 'purgeExecutions', { filterQuery: 'colour = 1', dryRun: false })).toMatchObject({ ok: false, code: Status.INVALID_ARGUMENT });
    expect(await purge(client, 'purgeExecutions', { filterQuery: 'id > 0', dryRun: false })).toMatchObject({ ok: false, code: Status.FAILED_PRECONDITION });
    expect(await rowCounts(ctx().db)).toEqual(before);
  });

  it('deletes in batches when told, logs one line per batch, counts purged nodes and the calls in the shared gRPC metrics', async () => {
    const outcome = await purge(client, 'purgeContexts', { filterQuery: runsFilter(), dryRun: false, batchSize: 1, maxBatches: 2 });
    expect(outcome).toMatchObject({ ok: true, result: { dryRun: false, batches: 2, complete: false } });
    const rest = await purge(client, 'purgeContexts', { filterQuery: runsFilter(), dryRun: false, batchSize: 1 });
    expect(rest).toMatchObject({ ok: true, result: { batches: 1, complete: true, counts: { contexts: 1n } } });
    const batchLines = logs.lines.filter((l) => l.msg === 'purge batch committed');
    expect(batchLines.map((l) => l.batch)).toEqual([1, 2, 1]);
    expect(batchLines[0]).toMatchObject({ rpc: 'PurgeContexts', kind: 'context' });
    expect((await ctx().call('getContextsById', { contextIds: runs.map((r) => r.context) })).contexts).toEqual([]);

    const samples = parsePrometheusText(await metrics.registry.metrics());
    expect(sampleValue(samples, 'mlmd_retention_nodes_purged_total', { kind: 'context' })).toBe(3);
    expect(sampleValue(samples, 'mlmd_retention_nodes_purged_total', { kind: 'execution' })).toBe(9);
    const method = { grpc_service: 'mlmd_ts.retention.v1.RetentionService', grpc_method: 'PurgeContexts', grpc_type: 'unary' };
    expect(sampleValue(samples, 'grpc_server_handled_total', { ...method, grpc_code: 'OK' })).toBe(3);
    expect(sampleValue(samples, 'grpc_server_handled_total', { ...method, grpc_code: 'InvalidArgument' })).toBe(1);
    // Pre-registered at zero, like every MLMD method.
    expect(sampleValue(samples, 'grpc_server_handled_total', { ...method, grpc_method: 'PurgeArtifacts', grpc_code: 'OK' })).toBe(0);
  });
});
