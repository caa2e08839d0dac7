import http from 'node:http';
import net from 'node:net';
import { status as Status } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { grpcWebClient } from './grpc_web_client';
import { serveWithWebPort, sqliteOnly } from './web_fixture';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The socket the answer came on, to see keep-alive reuse. */
  socket: net.Socket;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
afterAll(() => agent.destroy());

/** One HTTP/1.1 request on a keep-alive connection. */
function request(port: number, method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), socket: req.socket! }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const GET_TYPES = '/ml_metadata.MetadataStoreService/GetArtifactTypes';
const WEB = { 'content-type': 'application/grpc-web+proto' };
function frame(payload: Buffer, flag = 0): Buffer {
  const header = Buffer.alloc(5);
  header[0] = flag;
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/** The gRPC status of a gRPC-web answer: HTTP 200, the status in the headers and in the trailer frame. */
function grpcStatus(answer: Answer): { code: number; message: string } {
  expect(answer.status).toBe(200);
  const body = answer.headers['content-type']?.includes('-text') ? Buffer.from(answer.body.toString('latin1'), 'base64') : answer.body;
  expect(body[0]).toBe(0x80);
  const trailer = body.subarray(5).toString('latin1');
  const code = Number(/grpc-status:(\d+)\r\n/.exec(trailer)?.[1]);
  const message = decodeURIComponent(/grpc-message:([^\r\n]*)\r\n/.exec(trailer)?.[1] ?? '');
  expect(answer.headers['grpc-status']).toBe(String(code));
  return { code, message };
}

describe('bad input over HTTP/1.1 gets a clear status; the server stays healthy [sqlite]', () => {
  const ctx = serveWithWebPort(sqliteOnly, { channelArguments: { 'grpc.max_receive_message_length': 4096 } });
  const port = () => ctx().webPort;

  it('wrong content type: 415 naming the ones served; gRPC over HTTP/1.1 is pointed at the gRPC port', async () => {
    const plain = await request(port(), 'POST', GET_TYPES, { 'content-type': 'text/plain' }, 'hello');
    expect(plain.status).toBe(415);
    expect(plain.body.toString()).toContain('application/grpc-web');
    const grpc = await request(port(), 'POST', GET_TYPES, { 'content-type': 'application/grpc' }, frame(Buffer.alloc(0)));
    expect(grpc.status).toBe(415);
    expect(grpc.body.toString()).toContain('HTTP/2 on the gRPC port');
    const json = await request(port(), 'POST', GET_TYPES, { 'content-type': 'application/grpc-web+json' }, '{}');
    expect(json.status).toBe(415);
  });

  it('truncated frame, trailing bytes, trailer or compressed flag: INVALID_ARGUMENT saying which', async () => {
    const truncated = Buffer.concat([Buffer.from([0, 0, 0, 0, 100]), Buffer.alloc(10)]);
    expect(grpcStatus(await request(port(), 'POST', GET_TYPES, WEB, truncated))).toEqual({
      code: Status.INVALID_ARGUMENT,
      message: 'request frame is truncated: its header announces 100 bytes, 10 arrived',
    });
    expect(grpcStatus(await request(port(), 'POST', GET_TYPES, WEB, Buffer.from([0, 0, 0])))).toMatchObject({ code: Status.INVALID_ARGUMENT });
    const two = Buffer.concat([frame(Buffer.alloc(0)), frame(Buffer.alloc(0))]);
    expect(grpcStatus(await request(port(), 'POST', GET_TYPES, WEB, two)).message).toContain('after its one message frame');
    expect(grpcStatus(await request(port(), 'POST', GET_TYPES, WEB, frame(Buffer.alloc(0), 0x80))).message).toContain('trailer frame');
    expect(grpcStatus(await request(port(), 'POST', GET_TYPES, WEB, frame(Buffer.alloc(0), 0x01))).message).toContain('compressed');
  });

  it('oversized frame: RESOURCE_EXHAUSTED from the announced length, without reading the body', async () => {
    const announcesHuge = Buffer.concat([Buffer.from([0, 0x10, 0, 0, 0]), Buffer.alloc(100)]);
    const answer = await request(port(), 'POST', GET_TYPES, WEB, announcesHuge);
    expect(grpcStatus(answer)).toMatchObject({ code: Status.RESOURCE_EXHAUSTED });
    expect(grpcStatus(answer).message).toContain('grpc.max_receive_message_length=4096');
    const real = await request(port(), 'POST', GET_TYPES, WEB, frame(Buffer.alloc(5000, 0x0a)));
    expect(grpcStatus(real)).toMatchObject({ code: Status.RESOURCE_EXHAUSTED });
    const json = await request(port(), 'POST', GET_TYPES, { 'content-type': 'application/json' }, JSON.stringify({ x: 'y'.repeat(40_000) }));
    expect(json.status).toBe(429);
    expect(JSON.parse(json.body.toString()).code).toBe(Status.RESOURCE_EXHAUSTED);
  });

  it('bad base64 in text mode: INVALID_ARGUMENT (text answer)', async () => {
    const text = { 'content-type': 'application/grpc-web-text' };
    for (const body of ['AAAAAA!!', 'AAAAAAA', 'AA==AAAAAA=']) {
      const answer = await request(port(), 'POST', GET_TYPES, text, body);
      expect(answer.headers['content-type']).toBe('application/grpc-web-text+proto');
      expect(grpcStatus(answer), body).toEqual({ code: Status.INVALID_ARGUMENT, message: 'request body of a grpc-web-text call is not valid base64' });
    }
    // Two padded chunks one after the other are valid base64 (a client may send them so).
    const chunked = frame(Buffer.alloc(0)).subarray(0, 4).toString('base64') + frame(Buffer.alloc(0)).subarray(4).toString('base64');
    const answer = await request(port(), 'POST', GET_TYPES, text, chunked);
    const body = Buffer.from(answer.body.toString('latin1'), 'base64');
    expect(body[0]).toBe(0x00);
  });

  it('unknown method or service: UNIMPLEMENTED as gRPC answers it; JSON says 501', async () => {
    const method = grpcStatus(await request(port(), 'POST', '/ml_metadata.MetadataStoreService/GetUnicorns', WEB, frame(Buffer.alloc(0))));
    expect(method.code).toBe(Status.UNIMPLEMENTED);
    expect(grpcStatus(await request(port(), 'POST', '/nope.Service/Call', WEB, frame(Buffer.alloc(0)))).code).toBe(Status.UNIMPLEMENTED);
    const json = await request(port(), 'POST', '/ml_metadata.MetadataStoreService/GetUnicorns', { 'content-type': 'application/json' }, '{}');
    expect(json.status).toBe(501);
    expect(JSON.parse(json.body.toString())).toMatchObject({ code: Status.UNIMPLEMENTED });
  });

  it('GET on a method path: 405 with Allow; other paths 404', async () => {
    const get = await request(port(), 'GET', GET_TYPES, {});
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST, OPTIONS');
    expect((await request(port(), 'GET', '/', {})).status).toBe(404);
    expect((await request(port(), 'POST', '/../../etc/passwd', WEB, frame(Buffer.alloc(0)))).status).toBe(404);
  });

  it('malformed grpc-timeout: INVALID_ARGUMENT rather than a call without its deadline', async () => {
    const answer = await request(port(), 'POST', GET_TYPES, { ...WEB, 'grpc-timeout': '10 seconds' }, frame(Buffer.alloc(0)));
    expect(grpcStatus(answer)).toMatchObject({ code: Status.INVALID_ARGUMENT });
  });

  it('a client that sends half a body and leaves does not disturb the server', async () => {
    await new Promise<void>((resolve) => {
      const socket = net.connect(port(), '127.0.0.1', () => {
        socket.write(`POST ${GET_TYPES} HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc-web+proto\r\nContent-Length: 1000\r\n\r\n\x00\x00\x00`);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
  });

  it('after all that: the same keep-alive connection, the gRPC port and gRPC-web all still answer', async () => {
    const first = await request(port(), 'POST', GET_TYPES, WEB, frame(Buffer.alloc(0)));
    const second = await request(port(), 'POST', GET_TYPES, WEB, frame(Buffer.alloc(0)));
    expect(first.body[0]).toBe(0x00);
    expect(second.socket).toBe(first.socket);
    expect(first.headers.connection).toBe('keep-alive');
    expect(await ctx().callGrpc('getArtifactTypes', {})).toMatchObject({ ok: true });
    expect(await grpcWebClient(port(), 'text').call('getArtifactTypes', {})).toMatchObject({ ok: true });
    const health = await request(port(), 'POST', '/grpc.health.v1.Health/Check', { 'content-type': 'application/json' }, '{}');
    expect(JSON.parse(health.body.toString())).toEqual({ status: 'SERVING' });
  });
});
