import { describe, expect, it } from 'vitest';
import { serveWithWebPort, sqliteOnly } from './web_fixture';

const PATH = '/ml_metadata.MetadataStoreService/GetArtifactTypes';
const EMPTY_FRAME = new Uint8Array([0, 0, 0, 0, 0]);

function preflight(port: number, origin: string) {
  return fetch(`http://127.0.0.1:${port}${PATH}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-grpc-web,x-user-agent' },
  });
}

function post(port: number, headers: Record<string, string>) {
  return fetch(`http://127.0.0.1:${port}${PATH}`, { method: 'POST', headers: { 'content-type': 'application/grpc-web-text', ...headers }, body: Buffer.from(EMPTY_FRAME).toString('base64') });
}

describe('CORS by default: same-origin pages and non-browser clients only [sqlite]', () => {
  const ctx = serveWithWebPort(sqliteOnly);

  it('refuses a foreign origin, preflight and call alike (403), so no write happens behind the browser\'s back', async () => {
    const answer = await preflight(ctx().webPort, 'https://evil.example');
    expect(answer.status).toBe(403);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect((await post(ctx().webPort, { origin: 'https://evil.example' })).status).toBe(403);
  });

  it('serves a same-origin page (Origin equal to the Host it called) and clients sending no Origin', async () => {
    const same = await post(ctx().webPort, { origin: `http://127.0.0.1:${ctx().webPort}` });
    expect(same.status).toBe(200);
    expect(same.headers.get('grpc-status')).toBeNull();
    expect(same.headers.get('access-control-allow-origin')).toBeNull();
    expect((await post(ctx().webPort, {})).status).toBe(200);
  });
});

describe('CORS with an allow-list [sqlite]', () => {
  const ctx = serveWithWebPort(sqliteOnly, { corsAllowedOrigins: ['https://kubeflow.example.com'] });

  it("answers a listed origin's preflight with Kubeflow's Envoy CORS policy", async () => {
    const answer = await preflight(ctx().webPort, 'https://kubeflow.example.com');
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://kubeflow.example.com');
    expect(answer.headers.get('access-control-allow-methods')).toBe('GET, PUT, DELETE, POST, OPTIONS');
    expect(answer.headers.get('access-control-max-age')).toBe('1728000');
    expect(answer.headers.get('access-control-allow-headers')!.split(',')).toEqual(
      expect.arrayContaining([
        'keep-alive', 'user-agent', 'cache-control', 'content-type', 'content-transfer-encoding', 'custom-header-1',
        'x-accept-content-transfer-encoding', 'x-accept-response-streaming', 'x-user-agent', 'x-grpc-web', 'grpc-timeout',
      ]),
    );
    const call = await post(ctx().webPort, { origin: 'https://kubeflow.example.com' });
    expect(call.status).toBe(200);
    expect(call.headers.get('access-control-allow-origin')).toBe('https://kubeflow.example.com');
    expect(call.headers.get('access-control-expose-headers')!.split(',')).toEqual(expect.arrayContaining(['grpc-status', 'grpc-message']));
    expect(call.headers.get('vary')).toBe('Origin');
  });

  it('still refuses an origin not on the list', async () => {
    expect((await preflight(ctx().webPort, 'https://kubeflow.example.com.evil.example')).status).toBe(403);
  });
});

describe('CORS with * (what Kubeflow\'s Envoy allowed) [sqlite]', () => {
  const ctx = serveWithWebPort(sqliteOnly, { corsAllowedOrigins: ['*'] });

  it('allows any origin, echoing it', async () => {
    const answer = await preflight(ctx().webPort, 'http://ml-pipeline-ui.kubeflow:80');
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://ml-pipeline-ui.kubeflow:80');
  });
});
