import { Metadata, status as Status } from '@grpc/grpc-js';
import { beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../support/backends';
import { callRpc } from '../grpc_test_client';
import { seedKubeflowRun, type SeededRun } from './kubeflow_run_seed';
import { serveWithWebPort } from './web_fixture';

/**
 * The JSON mapping as curl uses it: POST /ml_metadata.MetadataStoreService/<Method>,
 * Content-Type: application/json, the request and answer in proto3 canonical JSON;
 * errors are a JSON body {code, message, details} with the gRPC code and an HTTP status
 * that says the same (404 for NOT_FOUND).
 */
describeEachBackend('JSON mapping (curl-style)', (backend) => {
  const ctx = serveWithWebPort(() => backend);
  let run: SeededRun;
  beforeAll(async () => {
    run = await seedKubeflowRun((m, r) => ctx().callGrpc(m, r), 'json');
  });

  /** What `curl -sS -X POST -H 'Content-Type: application/json' -d BODY URL` does. */
  async function curl(method: string, body: string | undefined, service = 'ml_metadata.MetadataStoreService') {
    const response = await fetch(`http://127.0.0.1:${ctx().webPort}/${service}/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    return { status: response.status, contentType: response.headers.get('content-type'), json: (await response.json()) as Record<string, any> };
  }

  it('reads: GetContextByTypeAndName answers canonical JSON (int64 as strings, camelCase names)', async () => {
    const answer = await curl('GetContextByTypeAndName', JSON.stringify({ typeName: 'system.PipelineRun', contextName: run.runName }));
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/json');
    const context = answer.json.context;
    expect(context).toMatchObject({
      id: String(run.contextId),
      name: run.runName,
      type: 'system.PipelineRun',
      customProperties: { namespace: { stringValue: 'team-a' } },
    });
    expect(typeof context.typeId).toBe('string');
    expect(typeof context.createTimeSinceEpoch).toBe('string');
    // The proto field names are accepted on input too.
    const snake = await curl('GetContextByTypeAndName', JSON.stringify({ type_name: 'system.PipelineRun', context_name: run.runName }));
    expect(snake.json).toEqual(answer.json);
  });

  it('reads: GetExecutionsByContext lists the run, enums by name', async () => {
    const answer = await curl('GetExecutionsByContext', JSON.stringify({ contextId: String(run.contextId) }));
    expect(answer.status).toBe(200);
    const executions = answer.json.executions as { id: string; lastKnownState: string }[];
    expect(executions.map((e) => e.id).sort()).toEqual(run.executionIds.map(String).sort());
    expect(executions.map((e) => e.lastKnownState).sort()).toEqual(['COMPLETE', 'RUNNING']);
  });

  it('writes: PutArtifactType then PutArtifacts create what gRPC then reads', async () => {
    const type = await curl('PutArtifactType', JSON.stringify({ artifactType: { name: 'json.Report', properties: { pages: 'INT' } } }));
    expect(type.status).toBe(200);
    const typeId = type.json.typeId as string;
    expect(typeId).toMatch(/^\d+$/);
    const put = await curl(
      'PutArtifacts',
      JSON.stringify({ artifacts: [{ typeId, uri: 's3://bucket/report ✓', properties: { pages: { intValue: '9007199254740993' } } }] }),
    );
    expect(put.status).toBe(200);
    const [id] = put.json.artifactIds as string[];
    const overGrpc = await ctx().callGrpc('getArtifactsById', { artifactIds: [BigInt(id)] });
    expect(overGrpc).toMatchObject({
      ok: true,
      response: { artifacts: [{ id: BigInt(id), typeId: BigInt(typeId), uri: 's3://bucket/report ✓', properties: { pages: { intValue: 9007199254740993n } } }] },
    });
  });

  it('errors: NOT_FOUND is HTTP 404 with {code: 5, message} equal to the gRPC status', async () => {
    const request = { typeName: 'missing 100% ünïcode' };
    const overGrpc = await ctx().callGrpc('getArtifactType', request);
    expect(overGrpc).toMatchObject({ ok: false, code: Status.NOT_FOUND });
    const answer = await curl('GetArtifactType', JSON.stringify(request));
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({ code: 5, message: (overGrpc as { details: string }).details, details: [] });
  });

  it('errors: a store-side INVALID_ARGUMENT is HTTP 400 with code 3', async () => {
    const answer = await curl('PutArtifacts', JSON.stringify({ artifacts: [{ typeId: '999999' }] }));
    const overGrpc = await ctx().callGrpc('putArtifacts', { artifacts: [{ typeId: 999999n }] });
    expect(overGrpc.ok).toBe(false);
    expect(answer.json.code).toBe((overGrpc as { code: number }).code);
    expect(answer.json.message).toBe((overGrpc as { details: string }).details);
  });

  it('refuses JSON that is not the request message: not JSON, unknown field, wrong type (HTTP 400, code 3)', async () => {
    for (const body of ['{"typeName": ', '{"noSuchField": 1}', '{"typeName": 7}']) {
      const answer = await curl('GetArtifactType', body);
      expect(answer.status, body).toBe(400);
      expect(answer.json.code, body).toBe(Status.INVALID_ARGUMENT);
      expect(answer.json.message, body).toMatch(/JSON/);
    }
  });

  it('counts JSON calls under protocol="json"; a gRPC client cannot forge the bridge header', async () => {
    const count = async (protocol: string) => {
      const metric = await ctx().metrics.registry.getSingleMetric('mlmd_rpc_handled_total')!.get();
      return metric.values.filter((v) => v.labels.protocol === protocol && v.labels.grpc_method === 'GetContextTypes').reduce((s, v) => s + v.value, 0);
    };
    const [json, grpc] = [await count('json'), await count('grpc')];
    expect((await curl('GetContextTypes', '{}')).status).toBe(200);
    const forged = new Metadata();
    forged.set('x-mlmd-bridge', 'guessed-secret json 10.0.0.1:1');
    expect((await callRpc(ctx().grpc, 'getContextTypes', {}, forged)).ok).toBe(true);
    expect(await count('json')).toBe(json + 1);
    expect(await count('grpc')).toBe(grpc + 1);
  });
});
