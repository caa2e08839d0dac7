import { credentials, loadPackageDefinition, Metadata, status as Status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/database';
import { FileDescriptorProto } from '../../src/generated/google/protobuf/descriptor';
import { MetadataStoreServiceService } from '../../src/generated/ml_metadata/proto/metadata_store_service';
import { invalidArgument } from '../../src/errors';
import { MetadataStore } from '../../src/store/metadata_store';
import type { RpcMethod } from '../../src/store/rpc';
import { startServer, type RunningServer, type ServerOptions } from '../../src/transport/server';
import { MLMD_RPC_METHODS, type RpcDispatcher } from '../../src/transport/service';
import { rpcWireName as rpcNameOf } from '../../src/store/rpc';
import { callRpc, mlmdClient } from './grpc_test_client';

const running: RunningServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.shutdown(0);
});

async function serve(options: Partial<ServerOptions> & { store: RpcDispatcher }): Promise<RunningServer> {
  const server = await startServer({ port: 0, host: '127.0.0.1', ...options });
  running.push(server);
  return server;
}

/** The store over no database and no implementations: every RPC is unimplemented. */
const emptyStore = () => new MetadataStore({} as Database, {});

describe('MLMD service registration', () => {
  it('registers all 52 RPCs of the generated service definition', () => {
    expect(MLMD_RPC_METHODS).toHaveLength(52);
    expect(MLMD_RPC_METHODS.map(rpcNameOf)).toContain('GetArtifactsByURI');
  });

  it('answers every RPC; unregistered ones are UNIMPLEMENTED naming the RPC', async () => {
    const server = await serve({ store: emptyStore() });
    const client = mlmdClient(server.port);
    const outcomes = await Promise.all(MLMD_RPC_METHODS.map((m) => callRpc(client, m, {})));
    outcomes.forEach((outcome, i) => {
      expect(outcome).toEqual({ ok: false, code: Status.UNIMPLEMENTED, details: `${rpcNameOf(MLMD_RPC_METHODS[i])} is not implemented.` });
    });
    client.close();
  });

  it('hands the decoded request to the store and returns its response', async () => {
    const seen: [string, unknown][] = [];
    const store: RpcDispatcher = {
      call: (async (method: RpcMethod, request: unknown) => {
        seen.push([method, request]);
        return { artifacts: [{ id: 7n, uri: 'u' }] };
      }) as RpcDispatcher['call'],
    };
    const server = await serve({ store });
    const client = mlmdClient(server.port);
    const outcome = await callRpc(client, 'getArtifactsById', { artifactIds: [7n, 8n] });
    expect(outcome).toMatchObject({ ok: true, response: { artifacts: [{ id: 7n, uri: 'u' }] } });
    expect(seen).toEqual([['getArtifactsById', expect.objectContaining({ artifactIds: [7n, 8n] })]]);
    client.close();
  });

  it('maps MlmdError to its code and message, anything else to a safe INTERNAL', async () => {
    const store: RpcDispatcher = {
      call: (async (method: RpcMethod) => {
        if (method === 'putArtifacts') throw invalidArgument('Found unmatched property type: foo');
        if (method === 'getArtifacts') throw new Error('SQLITE_CORRUPT: secret /var/lib/db path');
        throw new TypeError('boom');
      }) as RpcDispatcher['call'],
    };
    const server = await serve({ store });
    const client = mlmdClient(server.port);
    expect(await callRpc(client, 'putArtifacts', {})).toEqual({
      ok: false,
      code: Status.INVALID_ARGUMENT,
      details: 'Found unmatched property type: foo',
    });
    const internal = await callRpc(client, 'getArtifacts', {});
    expect(internal).toMatchObject({ ok: false, code: Status.INTERNAL });
    expect((internal as { details: string }).details).toContain('GetArtifacts');
    expect((internal as { details: string }).details).not.toContain('SQLITE');
    client.close();
  });
});

describe('health', () => {
  function healthClient(port: number) {
    const healthProto = path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');
    const pkg = loadPackageDefinition(loadSync(healthProto, { keepCase: true, enums: String })) as any;
    return new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, credentials.createInsecure());
  }
  const check = (client: any, service: string) =>
    new Promise<string>((resolve, reject) =>
      client.Check({ service }, (e: Error | null, r: { status: string }) => (e ? reject(e) : resolve(r.status))),
    );

  it('is SERVING while the database answers and NOT_SERVING while it does not', async () => {
    let databaseUp = true;
    const ping = () => (databaseUp ? Promise.resolve() : Promise.reject(new Error('connection refused')));
    const server = await serve({ store: emptyStore(), health: { ping, intervalMs: 30 } });
    const client = healthClient(server.port);
    expect(await check(client, '')).toBe('SERVING');
    expect(await check(client, 'ml_metadata.MetadataStoreService')).toBe('SERVING');
    databaseUp = false;
    await expect.poll(() => check(client, 'ml_metadata.MetadataStoreService'), { timeout: 3000 }).toBe('NOT_SERVING');
    expect(await check(client, '')).toBe('NOT_SERVING');
    databaseUp = true;
    await expect.poll(() => check(client, ''), { timeout: 3000 }).toBe('SERVING');
    client.close();
  });

  it('counts a ping that hangs as a failure', async () => {
    let hang = false;
    const ping = () => (hang ? new Promise<void>(() => {}) : Promise.resolve());
    const server = await serve({ store: emptyStore(), health: { ping, intervalMs: 30, timeoutMs: 50 } });
    const client = healthClient(server.port);
    expect(await check(client, '')).toBe('SERVING');
    hang = true;
    await expect.poll(() => check(client, ''), { timeout: 3000 }).toBe('NOT_SERVING');
    client.close();
  });
});

describe('reflection', () => {
  it('lists the MLMD and health services and describes every MLMD method', async () => {
    const server = await serve({ store: emptyStore() });
    const reflectionProto = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');
    const pkg = loadPackageDefinition(loadSync(reflectionProto, { keepCase: true })) as any;
    const client = new pkg.grpc.reflection.v1.ServerReflection(`127.0.0.1:${server.port}`, credentials.createInsecure());
    const stream = client.ServerReflectionInfo();
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
    stream.write({ file_containing_symbol: 'ml_metadata.MetadataStoreService' });
    await done;
    client.close();

    const services = responses[0].list_services_response.service.map((s: { name: string }) => s.name);
    expect(services).toEqual(expect.arrayContaining(['ml_metadata.MetadataStoreService', 'grpc.health.v1.Health']));
    const files = responses[1].file_descriptor_response.file_descriptor_proto.map((b: Buffer) => FileDescriptorProto.decode(b));
    const serviceFile = files.find((f: FileDescriptorProto) => f.service?.some((s) => s.name === 'MetadataStoreService'));
    expect(serviceFile.name).toBe('ml_metadata/proto/metadata_store_service.proto');
    const methods = serviceFile.service[0].method.map((m: { name: string }) => m.name).sort();
    expect(methods).toEqual(Object.values(MetadataStoreServiceService).map((d) => d.path.split('/')[2]).sort());
    // The imports travel along, so clients can resolve Artifact, FieldMask, Struct, ...
    expect(files.map((f: FileDescriptorProto) => f.name)).toEqual(
      expect.arrayContaining(['ml_metadata/proto/metadata_store.proto', 'google/protobuf/field_mask.proto', 'google/protobuf/struct.proto']),
    );
  });
});

describe('message and metadata limits', () => {
  const bigRequest = (bytes: number) => ({ uris: ['x'.repeat(bytes)] });
  const echo: RpcDispatcher = { call: (async () => ({})) as RpcDispatcher['call'] };

  it('accepts requests above gRPC 4 MiB default by default (limit 100 MiB)', async () => {
    const server = await serve({ store: echo });
    const client = mlmdClient(server.port);
    expect(await callRpc(client, 'getArtifactsByUri', bigRequest(6 * 1024 * 1024))).toMatchObject({ ok: true });
    client.close();
  });

  it('applies --grpc_channel_arguments over the defaults', async () => {
    const server = await serve({ store: echo, channelArguments: { 'grpc.max_receive_message_length': 1024 } });
    const client = mlmdClient(server.port);
    expect(await callRpc(client, 'getArtifactsByUri', bigRequest(100))).toMatchObject({ ok: true });
    expect(await callRpc(client, 'getArtifactsByUri', bigRequest(2000))).toMatchObject({ ok: false, code: Status.RESOURCE_EXHAUSTED });
    client.close();
  });

  it('limits response size with grpc.max_send_message_length', async () => {
    const large: RpcDispatcher = { call: (async () => ({ artifacts: [{ uri: 'y'.repeat(5000) }] })) as RpcDispatcher['call'] };
    const server = await serve({ store: large, channelArguments: { 'grpc.max_send_message_length': 1000 } });
    const client = mlmdClient(server.port);
    expect(await callRpc(client, 'getArtifacts', {})).toMatchObject({ ok: false, code: Status.RESOURCE_EXHAUSTED });
    client.close();
  });

  it('rejects request metadata above grpc.max_metadata_size (16 KiB by default)', async () => {
    const server = await serve({ store: echo });
    const client = mlmdClient(server.port);
    const small = new Metadata();
    small.set('x-note', 'a'.repeat(1000));
    expect(await callRpc(client, 'getArtifacts', {}, small)).toMatchObject({ ok: true });
    const big = new Metadata();
    big.set('x-note', 'a'.repeat(20_000));
    const outcome = await callRpc(client, 'getArtifacts', {}, big);
    expect(outcome).toMatchObject({ ok: false, code: Status.RESOURCE_EXHAUSTED });
    expect((outcome as { details: string }).details).toContain('grpc.max_metadata_size=16384');
    client.close();
  });
});

describe('graceful shutdown', () => {
  function slowStore(ms: number): RpcDispatcher {
    return { call: (() => new Promise((r) => setTimeout(() => r({ artifacts: [] } as never), ms))) as RpcDispatcher['call'] };
  }

  it('lets an in-flight call finish and refuses new ones', async () => {
    const server = await serve({ store: slowStore(400) });
    const client = mlmdClient(server.port);
    const inFlight = callRpc(client, 'getArtifacts', {});
    await new Promise((r) => setTimeout(r, 100));
    const stopped = server.shutdown(5000);
    expect(await inFlight).toMatchObject({ ok: true });
    expect(await stopped).toEqual({ forced: false });
    const late = await callRpc(mlmdClient(server.port), 'getArtifacts', {});
    expect(late).toMatchObject({ ok: false, code: Status.UNAVAILABLE });
    client.close();
  });

  it('cancels calls still running when the grace period ends', async () => {
    const server = await serve({ store: slowStore(5000) });
    const client = mlmdClient(server.port);
    const inFlight = callRpc(client, 'getArtifacts', {});
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    expect(await server.shutdown(200)).toEqual({ forced: true });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await inFlight).toMatchObject({ ok: false });
    client.close();
  });
});
