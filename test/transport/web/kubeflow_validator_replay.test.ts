import { beforeAll, expect, it } from 'vitest';
import {
  GetArtifactsByURIRequest,
  GetArtifactsByURIResponse,
  GetContextsByArtifactRequest,
  GetContextsByArtifactResponse,
} from '../../../src/generated/ml_metadata/proto/metadata_store_service';
import { describeEachBackend } from '../../support/backends';
import { seedKubeflowRun, type SeededRun } from './kubeflow_run_seed';
import { serveWithWebPort } from './web_fixture';

/**
 * Kubeflow's UI server checks, before serving an artifact download, that the artifact
 * belongs to the caller's namespace (frontend/server/helpers/mlmd-validator.ts): over
 * gRPC-web with fetch, it asks GetArtifactsByURI, then GetContextsByArtifact for each
 * artifact, and reads the `namespace` string property of the system.PipelineRun contexts.
 * It fails open when a call fails, so every answer here must parse the way it parses
 * them: HTTP 200, data frames (one, even for an empty message) and a trailer frame with
 * grpc-status 0, nothing left over.
 */
describeEachBackend('Kubeflow UI server artifact-namespace validator exchange', (backend) => {
  const ctx = serveWithWebPort(() => backend);
  let teamA: SeededRun;
  let teamB: SeededRun;
  beforeAll(async () => {
    teamA = await seedKubeflowRun((m, r) => ctx().callGrpc(m, r), 'validator-a', 'team-a');
    teamB = await seedKubeflowRun((m, r) => ctx().callGrpc(m, r), 'validator-b', 'team-b');
  });

  /** One call as the validator makes it: a hand-built 0x00 frame, fetch, frames parsed by hand. */
  async function validatorCall(method: string, message: Uint8Array): Promise<Uint8Array> {
    const frame = new Uint8Array(5 + message.length);
    new DataView(frame.buffer).setUint32(1, message.length, false);
    frame.set(message, 5);
    const response = await fetch(`http://127.0.0.1:${ctx().webPort}/ml_metadata.MetadataStoreService/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/grpc-web+proto', Accept: 'application/grpc-web+proto', 'x-grpc-web': '1' },
      body: frame,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/grpc-web/);
    const body = new Uint8Array(await response.arrayBuffer());
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const data: Uint8Array[] = [];
    let trailer = '';
    let at = 0;
    while (at + 5 <= body.length) {
      const flag = body[at];
      const length = view.getUint32(at + 1, false);
      expect(at + 5 + length).toBeLessThanOrEqual(body.length);
      const payload = body.subarray(at + 5, at + 5 + length);
      if (flag === 0x00) data.push(payload);
      else if (flag === 0x80) trailer = Buffer.from(payload).toString('latin1');
      else throw new Error(`unexpected frame flag ${flag}`);
      at += 5 + length;
    }
    expect(at).toBe(body.length);
    expect(trailer).toMatch(/^grpc-status:0\r\n/);
    expect(trailer.endsWith('\r\n')).toBe(true);
    expect(data).toHaveLength(1);
    return data[0];
  }

  /** The validator's decision: the namespaces of the artifact's PipelineRun contexts. */
  async function namespacesOf(uri: string): Promise<{ artifacts: number; namespaces: string[] }> {
    const byUri = GetArtifactsByURIResponse.decode(
      await validatorCall('GetArtifactsByURI', GetArtifactsByURIRequest.encode({ uris: [uri] }).finish()),
    );
    const namespaces: string[] = [];
    for (const artifact of byUri.artifacts ?? []) {
      const contexts = GetContextsByArtifactResponse.decode(
        await validatorCall('GetContextsByArtifact', GetContextsByArtifactRequest.encode({ artifactId: artifact.id }).finish()),
      );
      for (const context of contexts.contexts ?? []) {
        if (context.type !== 'system.PipelineRun') continue;
        const namespace = context.customProperties?.namespace?.stringValue;
        if (namespace) namespaces.push(namespace);
      }
    }
    return { artifacts: byUri.artifacts?.length ?? 0, namespaces };
  }

  it("finds the owning run's namespace for an artifact URI", async () => {
    expect(await namespacesOf(teamA.modelUri)).toEqual({ artifacts: 1, namespaces: ['team-a'] });
    expect(await namespacesOf(teamB.modelUri)).toEqual({ artifacts: 1, namespaces: ['team-b'] });
  });

  it('answers an unknown URI with an empty message in one zero-length data frame (no fail-open)', async () => {
    const bytes = await validatorCall('GetArtifactsByURI', GetArtifactsByURIRequest.encode({ uris: ['minio://mlpipeline/nowhere'] }).finish());
    expect(bytes.length).toBe(0);
    expect(await namespacesOf('minio://mlpipeline/nowhere')).toEqual({ artifacts: 0, namespaces: [] });
  });
});
