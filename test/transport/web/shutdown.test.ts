import { describe, expect, it } from 'vitest';
import { grpcWebClient } from './grpc_web_client';
import { serveWithWebPort, sqliteOnly } from './web_fixture';

describe('graceful shutdown with the web port [sqlite]', () => {
  const ctx = serveWithWebPort(sqliteOnly);

  it('lets an in-flight gRPC-web call finish, then refuses new connections', async () => {
    ctx().slow.set('getArtifactTypes', 500);
    const inFlight = grpcWebClient(ctx().webPort, 'binary').call('getArtifactTypes', {});
    // Shut down only once the call is in the store (earlier it would be refused: UNAVAILABLE).
    while (!ctx().storeCalls.includes('getArtifactTypes')) await new Promise((r) => setTimeout(r, 10));
    const stopped = ctx().server.shutdown(5000);
    expect(await inFlight).toMatchObject({ ok: true });
    expect(await stopped).toEqual({ forced: false });
    await expect(fetch(`http://127.0.0.1:${ctx().webPort}/ml_metadata.MetadataStoreService/GetArtifactTypes`, { method: 'POST' })).rejects.toThrow();
  });
});
