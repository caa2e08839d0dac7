import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import type { Logger } from '../../observability/logger';
import type { CorsPolicy } from './cors';
import { HttpBridge } from './http_bridge';
import { InProcessChannel } from './in_process_channel';
import { JsonCodec } from './json_codec';
import type { WebCallRegistry } from './web_call_registry';

/**
 * Request headers accepted, in bytes. Envoy's default (60 KiB) is what Kubeflow's UI has
 * been sending through: large cookies and OIDC tokens. Node's own default is 16 KiB.
 */
export const MAX_REQUEST_HEADER_BYTES = 96 * 1024;
/** Idle keep-alive connections stay open this long (longer than common load balancers' 60 s). */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface WebServerOptions {
  /** The gRPC server whose services are served (through its in-process connection). */
  grpcServer: GrpcServer;
  port: number;
  host?: string;
  cors: CorsPolicy;
  maxRequestMessageBytes: number;
  /** With tenancy on: where each call's HTTP credentials are left for the handler. */
  webCalls?: WebCallRegistry;
  logger?: Logger;
}

export interface RunningWebServer {
  readonly port: number;
  /** Stops accepting connections and closes idle ones; in-flight calls finish with the gRPC server. */
  stopAccepting(): void;
  /**
   * Closes every connection that is left, once the answers being written are done (their gRPC
   * calls have ended by then) or after `graceMs`.
   */
  close(graceMs: number): Promise<void>;
}

/**
 * The gRPC-web and JSON port: cleartext HTTP/1.1 (keep-alive) and HTTP/2 (prior knowledge,
 * h2c) on one port, told apart per connection by the HTTP/2 connection preface, as Envoy's
 * `codec_type: auto` does.
 */
export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const channel = new InProcessChannel(options.grpcServer);
  const json = JsonCodec.load();
  if (!json) options.logger?.warn('JSON mapping is off: src/generated/*.binpb are missing (run npm run generate)');
  const bridge = new HttpBridge({ channel, json, cors: options.cors, maxRequestMessageBytes: options.maxRequestMessageBytes, webCalls: options.webCalls, logger: options.logger });

  // Answers being written; the last connections close only once these are done.
  let active = 0;
  let drained: (() => void) | undefined;
  const handle: typeof bridge.handle = (req, res) => {
    active++;
    res.once('close', () => {
      active--;
      if (active === 0) drained?.();
    });
    bridge.handle(req, res);
  };
  const http1 = http.createServer({ maxHeaderSize: MAX_REQUEST_HEADER_BYTES, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, handle);
  // Calls may run as long as their deadline allows: no whole-request timeout.
  http1.requestTimeout = 0;
  const h2c = http2.createServer({ settings: { maxHeaderListSize: MAX_REQUEST_HEADER_BYTES }, maxSessionMemory: 64 }, handle);
  const sockets = new Set<net.Socket>();
  const listener = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    routeByPreface(socket, http1, h2c);
  });
  listener.on('error', (error) => options.logger?.error({ err: error }, 'gRPC-web listener failed'));

  const address = options.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port, address, () => {
      listener.removeListener('error', reject);
      resolve();
    });
  }).catch((error: Error) => {
    channel.close();
    const inUse = /EADDRINUSE/.test(error.message);
    throw Object.assign(
      new Error(`cannot listen on ${address}:${options.port}: ${inUse ? 'the port is already in use (choose another with --grpc_web_port)' : error.message}`),
      { cause: error },
    );
  });
  const port = (listener.address() as net.AddressInfo).port;

  return {
    port,
    stopAccepting() {
      listener.close();
      http1.closeIdleConnections();
      channel.close();
    },
    async close(graceMs) {
      if (active > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Hands the connection to the HTTP/2 server if it opens with the HTTP/2 preface, else to HTTP/1.1. */
function routeByPreface(socket: net.Socket, http1: http.Server, h2c: http2.Http2Server): void {
  let seen = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, HTTP2_PREFACE.length);
    const isHttp2 = seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
    if (isHttp2 && seen.length < HTTP2_PREFACE.length) return; // wait for the whole preface
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    socket.pause();
    if (isHttp2) {
      h2c.emit('connection', replaying(socket, seen));
      return;
    }
    socket.unshift(seen);
    http1.emit('connection', socket);
    socket.resume();
  };
  const onEnd = () => socket.destroy();
  socket.on('data', onData);
  socket.once('end', onEnd);
  socket.on('error', () => socket.destroy());
}

/**
 * The socket as a stream that first replays the bytes already read. Node's HTTP/2 server
 * reads a net.Socket's handle directly, past anything unshifted onto it; over a plain
 * Duplex it reads the stream, so the preface we consumed reaches it.
 */
function replaying(socket: net.Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  Object.assign(stream, { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, remoteFamily: socket.remoteFamily });
  stream.push(head);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.once('end', () => stream.push(null));
  socket.once('close', () => stream.destroy());
  return stream;
}
