import { Metadata, status as Status } from '@grpc/grpc-js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RpcMethod } from '../../../src/store/rpc';
import { describeEachBackend } from '../../support/backends';
import { callRpc } from '../grpc_test_client';
import { grpcWebClient } from './grpc_web_client';
import { seedKubeflowRun, type SeededRun } from './kubeflow_run_seed';
import { serveWithWebPort } from './web_fixture';

/**
 * The grpc-web runtime Kubeflow's UI is built on (GrpcWebClientBase, XMLHttpRequest
 * transport) against our gRPC-web port, in both wire formats: every answer must equal the
 * same call's answer over gRPC.
 */
describeEachBackend('gRPC-web with the grpc-web runtime', (backend) => {
  const ctx = serveWithWebPort(() => backend);
  let run: SeededRun;
  beforeAll(async () => {
    run = await seedKubeflowRun((m, r) => ctx().callGrpc(m, r), 'web');
  });

  const runPageReads = (): [string, RpcMethod, unknown][] => [
    ['GetContextByTypeAndName', 'getContextByTypeAndName', { typeName: 'system.PipelineRun', contextName: run.runName }],
    ['GetExecutionsByContext', 'getExecutionsByContext', { contextId: run.contextId }],
    ['GetArtifactsByContext', 'getArtifactsByContext', { contextId: run.contextId }],
    ['GetEventsByExecutionIDs', 'getEventsByExecutionIDs', { executionIds: run.executionIds }],
    ['GetArtifactsByID', 'getArtifactsById', { artifactIds: run.artifactIds }],
    ['GetArtifactTypes', 'getArtifactTypes', {}],
    ['GetArtifacts (first page)', 'getArtifacts', { options: { maxResultSize: 2, orderByField: { field: 1, isAsc: true } } }],
  ];

  for (const format of ['binary', 'text'] as const) {
    it(`answers a Kubeflow run page's reads as gRPC does (${format})`, async () => {
      const web = grpcWebClient(ctx().webPort, format);
      for (const [name, method, request] of runPageReads()) {
        const overGrpc = await ctx().callGrpc(method, request);
        expect(overGrpc.ok, name).toBe(true);
        expect(await web.call(method, request), name).toEqual(overGrpc);
      }
      // The run really is there: the page would show it.
      const found = await web.call('getContextByTypeAndName', { typeName: 'system.PipelineRun', contextName: run.runName });
      expect(found).toMatchObject({ ok: true, response: { context: { id: run.contextId, customProperties: { namespace: { stringValue: 'team-a' } } } } });
    });

    it(`pages GetArtifacts with next_page_token as gRPC does (${format})`, async () => {
      const web = grpcWebClient(ctx().webPort, format);
      let request: Record<string, unknown> = { options: { maxResultSize: 2 } };
      const seen: bigint[] = [];
      for (let page = 0; page < 5; page++) {
        const overGrpc = await ctx().callGrpc('getArtifacts', request);
        const overWeb = await web.call('getArtifacts', request);
        expect(overWeb).toEqual(overGrpc);
        const response = (overWeb as { response: { artifacts?: { id: bigint }[]; nextPageToken?: string } }).response;
        seen.push(...(response.artifacts ?? []).map((a) => a.id));
        if (!response.nextPageToken) break;
        request = { options: { maxResultSize: 2, nextPageToken: response.nextPageToken } };
      }
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(new Set(seen).size).toBe(seen.length);
    });

    it(`reports NOT_FOUND as code 5 with its message intact, % and non-ASCII included (${format})`, async () => {
      const request = { typeName: 'no such type: 100% ünïcode ✓ 模型' };
      const overGrpc = await ctx().callGrpc('getArtifactType', request);
      expect(overGrpc).toMatchObject({ ok: false, code: Status.NOT_FOUND });
      expect((overGrpc as { details: string }).details).toContain('100% ünïcode ✓ 模型');
      expect(await grpcWebClient(ctx().webPort, format).call('getArtifactType', request)).toEqual(overGrpc);
    });

    it(`answers an empty response message with a zero-length data frame the client decodes (${format})`, async () => {
      // PutAttributionsAndAssociations answers an empty message.
      const request = { attributions: [], associations: [] };
      const overGrpc = await ctx().callGrpc('putAttributionsAndAssociations', request);
      expect(overGrpc.ok).toBe(true);
      expect(await grpcWebClient(ctx().webPort, format).call('putAttributionsAndAssociations', request)).toEqual(overGrpc);
    });

    it(`ends a call whose deadline passes with DEADLINE_EXCEEDED, from the server (${format})`, async () => {
      ctx().slow.set('getExecutionTypes', 3000);
      try {
        const startedAt = Date.now();
        const overWeb = await grpcWebClient(ctx().webPort, format).call('getExecutionTypes', {}, { deadline: String(Date.now() + 300) });
        const elapsed = Date.now() - startedAt;
        expect(overWeb).toMatchObject({ ok: false, code: Status.DEADLINE_EXCEEDED });
        // The server ended it at the deadline, not the store's delay later.
        expect(elapsed).toBeLessThan(2000);
        expect(await ctx().callGrpc('getExecutionTypes', {}, 300)).toMatchObject({ ok: false, code: Status.DEADLINE_EXCEEDED });
      } finally {
        ctx().slow.delete('getExecutionTypes');
      }
    });

    it(`accepts 60 KiB of request headers and forwards none of them as gRPC metadata (${format})`, async () => {
      const token = 'x'.repeat(60 * 1024);
      const request = { typeName: 'system.Model' };
      const overGrpc = await ctx().callGrpc('getArtifactType', request);
      expect(overGrpc.ok).toBe(true);
      expect(await grpcWebClient(ctx().webPort, format).call('getArtifactType', request, { 'x-oidc-token': token })).toEqual(overGrpc);
      // Sent as gRPC metadata the same header would exceed grpc.max_metadata_size.
      const metadata = new Metadata();
      metadata.set('x-oidc-token', token);
      expect(await callRpc(ctx().grpc, 'getArtifactType', request, metadata)).toMatchObject({ ok: false, code: Status.RESOURCE_EXHAUSTED });
    });
  }

  it('counts the calls under protocol="grpc-web" beside the go-grpc-prometheus families', async () => {
    const before = await handled(ctx().metrics.registry, 'grpc-web', 'GetArtifactTypes');
    const beforeAll = await handled(ctx().metrics.registry, undefined, 'GetArtifactTypes');
    await grpcWebClient(ctx().webPort, 'text').call('getArtifactTypes', {});
    expect(await handled(ctx().metrics.registry, 'grpc-web', 'GetArtifactTypes')).toBe(before + 1);
    expect(await handled(ctx().metrics.registry, undefined, 'GetArtifactTypes')).toBe(beforeAll + 1);
  });
});

/** OK completions of an RPC: by protocol in mlmd_rpc_handled_total, or all in grpc_server_handled_total. */
async function handled(registry: import('prom-client').Registry, protocol: string | undefined, method: string): Promise<number> {
  const name = protocol ? 'mlmd_rpc_handled_total' : 'grpc_server_handled_total';
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values
    .filter((v) => v.labels.grpc_method === method && v.labels.grpc_code === 'OK' && (!protocol || v.labels.protocol === protocol))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('grpc-web client helper', () => {
  it('builds descriptors for every RPC path', async () => {
    const { methodDescriptor } = await import('./grpc_web_client');
    expect(methodDescriptor('getArtifactsByUri').getName()).toBe('/ml_metadata.MetadataStoreService/GetArtifactsByURI');
  });
});
