import http2 from 'node:http2';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { status as Status } from '@grpc/grpc-js';
import type { JsonValue } from '@bufbuild/protobuf';
import type { Logger } from '../../observability/logger';
import { bridgeHeaderValue, type CallProtocol } from './bridge_marker';
import { corsResponseHeaders, judgeOrigin, type CorsPolicy } from './cors';
import {
  announcedLength,
  Base64Encoder,
  Base64Error,
  dataFrame,
  decodeBase64Body,
  FRAME_HEADER_BYTES,
  FramingError,
  grpcWebMode,
  isGrpcWebFamily,
  percentDecodeMessage,
  percentEncodeMessage,
  responseContentType,
  singleMessage,
  trailerFrame,
  type WireMode,
} from './grpc_web_protocol';
import { ChannelClosedError, type InProcessChannel } from './in_process_channel';
import type { JsonCodec } from './json_codec';
import { httpStatusOf } from './http_status';
import { WEB_CALL_HEADER, type WebCallRegistry } from './web_call_registry';

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

export interface BridgeOptions {
  channel: InProcessChannel;
  /** JSON mapping; without it JSON requests are refused with UNIMPLEMENTED. */
  json?: JsonCodec;
  cors: CorsPolicy;
  /** The gRPC server's grpc.max_receive_message_length: larger request messages are refused here already. */
  maxRequestMessageBytes: number;
  /** With tenancy on: each call's HTTP credentials and client address are left here for the handler. */
  webCalls?: WebCallRegistry;
  logger?: Logger;
}

/** A method path: /package.Service/Method. */
const METHOD_PATH = /^\/[A-Za-z_][\w.]*\/[A-Za-z_]\w*$/;
/** grpc-timeout: at most 8 digits and a unit (PROTOCOL-HTTP2.md). */
const GRPC_TIMEOUT = /^\d{1,8}[HMSmun]$/;

/** A call that ends before reaching gRPC: its status, message and (for JSON) HTTP status. */
class EarlyStatus extends Error {
  constructor(
    readonly code: Status,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The HTTP side of gRPC-web and of the JSON mapping. Each request becomes one gRPC call on
 * the in-process channel: the message (decoded from its gRPC-web frame, or converted from
 * JSON) is sent as a gRPC request with the client's deadline, and the gRPC answer is
 * written back as gRPC-web frames or as JSON. Only two request headers become gRPC
 * metadata: grpc-timeout (the deadline) and x-request-id (for the logs); cookies, tokens and
 * anything else a browser or proxy adds stay here, so they cannot trip
 * grpc.max_metadata_size or reach a handler. With tenancy on, the identity layer reads them
 * through the WebCallRegistry instead (the call carries only a single-use id).
 */
export class HttpBridge {
  constructor(private readonly options: BridgeOptions) {}

  /** The request listener for http.Server and http2 servers (compatibility API) alike. */
  readonly handle = (req: Request, res: Response): void => {
    this.serve(req, res).catch((error: unknown) => {
      this.options.logger?.error({ err: error, path: req.url }, 'gRPC-web/JSON bridge failed on a request');
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error in the HTTP bridge; the server log has the details\n');
      } else if (!res.destroyed) {
        res.destroy();
      }
    });
  };

  private async serve(req: Request, res: Response): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    const encrypted = !!(req.socket as TLSSocket | undefined)?.encrypted;
    const verdict = judgeOrigin(this.options.cors, req.headers, encrypted);
    if (verdict.kind === 'refused') {
      this.refuse(req, res, 403, `origin ${verdict.origin} is not allowed to call this service (see --grpc_web_cors_allowed_origins)`);
      return;
    }
    const cors = verdict.kind === 'allowed' ? corsResponseHeaders(verdict.origin, req.method === 'OPTIONS') : {};

    if (req.method === 'OPTIONS') {
      this.options.logger?.debug({ path, origin: req.headers.origin, cors: verdict.kind }, 'CORS preflight answered');
      res.writeHead(204, { ...cors, allow: 'POST, OPTIONS', 'content-length': '0' });
      res.end();
      return;
    }
    if (!METHOD_PATH.test(path)) {
      this.refuse(req, res, 404, `no such path: ${path}; RPCs are at POST /<package>.<Service>/<Method>`, cors);
      return;
    }
    if (req.method !== 'POST') {
      this.refuse(req, res, 405, `${req.method} is not allowed on ${path}; RPCs are called with POST`, { ...cors, allow: 'POST, OPTIONS' });
      return;
    }

    const contentType = req.headers['content-type'];
    const mode = grpcWebMode(contentType);
    if (mode) {
      await this.serveGrpcWeb(req, res, path, mode, cors);
      return;
    }
    if (isJson(contentType)) {
      await this.serveJson(req, res, path, cors);
      return;
    }
    const hint = isGrpcWebFamily(contentType)
      ? 'only the proto sub-format of gRPC-web is served (application/grpc-web[-text][+proto])'
      : /^application\/grpc/i.test(contentType ?? '')
        ? 'gRPC needs HTTP/2 on the gRPC port; this port serves gRPC-web (application/grpc-web[-text][+proto]) and JSON (application/json)'
        : 'use application/grpc-web[-text][+proto] or application/json';
    this.refuse(req, res, 415, `unsupported content type ${JSON.stringify(contentType ?? '')}: ${hint}`, cors);
  }

  private async serveGrpcWeb(req: Request, res: Response, path: string, requestMode: WireMode, cors: Record<string, string>): Promise<void> {
    // A client may ask for a base64 answer to a binary request (x-accept-content-transfer-encoding).
    const mode: WireMode = requestMode === 'text' || /base64/i.test(headerValue(req.headers['x-accept-content-transfer-encoding'])) ? 'text' : 'binary';
    let message: Buffer;
    try {
      const timeout = this.deadlineHeader(req.headers);
      const body = await this.readBody(req, requestMode === 'text' ? 'base64' : 'frame');
      const decoded = requestMode === 'text' ? decodeBase64Body(body.toString('latin1')) : body;
      message = singleMessage(decoded);
      this.checkMessageSize(message.length);
      const call = this.startCall(req, path, 'grpc-web', timeout);
      call.stream.end(dataFrame(message));
      relayGrpcWeb(call.stream, res, mode, cors, () => call.finish());
    } catch (error) {
      const early = asEarlyStatus(error);
      this.options.logger?.info({ path, protocol: 'grpc-web', grpc_status: early.code, reason: early.message }, 'gRPC-web request refused');
      writeGrpcWebStatus(res, mode, early.code, early.message, { ...cors, ...closeIfUnread(req) });
    }
  }

  private async serveJson(req: Request, res: Response, path: string, cors: Record<string, string>): Promise<void> {
    try {
      const timeout = this.deadlineHeader(req.headers);
      const codec = this.options.json;
      const method = codec?.method(path);
      if (!codec || !method) throw new EarlyStatus(Status.UNIMPLEMENTED, `unknown method ${path}`);
      if (method.methodKind !== 'unary') {
        throw new EarlyStatus(Status.UNIMPLEMENTED, `${path} is a ${method.methodKind.replace('_', '-')} method; the JSON mapping serves unary methods`);
      }
      const body = await this.readBody(req, 'json');
      let json: JsonValue;
      try {
        json = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as JsonValue);
      } catch (e) {
        throw new EarlyStatus(Status.INVALID_ARGUMENT, `request body is not JSON: ${(e as Error).message}`);
      }
      let message: Uint8Array;
      try {
        message = codec.requestToBinary(method, json);
      } catch (e) {
        throw new EarlyStatus(Status.INVALID_ARGUMENT, `request body is not a ${method.input.typeName} in proto3 JSON: ${(e as Error).message}`);
      }
      this.checkMessageSize(message.length);
      const call = this.startCall(req, path, 'json', timeout);
      call.stream.end(dataFrame(message));
      const answer = await collectAnswer(call.stream);
      call.finish();
      if (answer.code !== Status.OK) {
        writeJsonStatus(res, answer.code, answer.message, { ...cors, ...answer.headers });
        return;
      }
      if (answer.messages.length !== 1) throw new Error(`gRPC answered OK with ${answer.messages.length} messages for ${path}`);
      const text = JSON.stringify(codec.responseToJson(method, answer.messages[0]));
      res.writeHead(200, { ...cors, ...answer.headers, 'content-type': 'application/json', 'grpc-status': '0', 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
    } catch (error) {
      const early = asEarlyStatus(error);
      if (early.code === Status.INTERNAL) this.options.logger?.error({ err: error, path }, 'JSON bridge failed on a response');
      else this.options.logger?.info({ path, protocol: 'json', grpc_status: early.code, reason: early.message }, 'JSON request refused');
      writeJsonStatus(res, early.code, early.message, { ...cors, ...closeIfUnread(req) });
    }
  }

  /** The client's grpc-timeout, checked (a malformed one would otherwise be dropped silently). */
  private deadlineHeader(headers: IncomingHttpHeaders): string | undefined {
    const timeout = headerValue(headers['grpc-timeout']);
    if (!timeout) return undefined;
    if (!GRPC_TIMEOUT.test(timeout)) throw new EarlyStatus(Status.INVALID_ARGUMENT, `malformed grpc-timeout ${JSON.stringify(timeout)}`);
    return timeout;
  }

  private checkMessageSize(bytes: number): void {
    const max = this.options.maxRequestMessageBytes;
    if (bytes > max) {
      throw new EarlyStatus(Status.RESOURCE_EXHAUSTED, `request message is ${bytes} bytes, more than grpc.max_receive_message_length=${max}`);
    }
  }

  /**
   * The request body, refused as soon as it is longer than the largest acceptable message
   * (base64 allowed for) or its frame header announces a larger message, so an oversized
   * request is never buffered whole.
   */
  private readBody(req: Request, mode: 'frame' | 'base64' | 'json'): Promise<Buffer> {
    const max = this.options.maxRequestMessageBytes;
    const framed = max + FRAME_HEADER_BYTES;
    // Base64 of the frame allowing for line breaks and per-chunk padding; JSON of a message
    // is at most a few times its binary size.
    const limit = mode === 'base64' ? Math.ceil(framed / 3) * 4 * 2 + 1024 : mode === 'json' ? framed * 4 : framed;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let length = 0;
      let done = false;
      const fail = (error: EarlyStatus) => {
        if (done) return;
        done = true;
        req.pause();
        reject(error);
      };
      req.on('data', (chunk: Buffer) => {
        if (done) return;
        chunks.push(chunk);
        length += chunk.length;
        if (mode === 'frame' && chunks.length <= 2) {
          const announced = announcedLength(chunks.length === 1 ? chunk : Buffer.concat(chunks));
          if (announced !== undefined && announced > max) {
            fail(new EarlyStatus(Status.RESOURCE_EXHAUSTED, `request frame announces ${announced} bytes, more than grpc.max_receive_message_length=${max}`));
            return;
          }
        }
        if (length > limit) fail(new EarlyStatus(Status.RESOURCE_EXHAUSTED, `request body is larger than grpc.max_receive_message_length=${max} allows`));
      });
      req.on('end', () => {
        if (done) return;
        done = true;
        resolve(Buffer.concat(chunks, length));
      });
      req.on('error', (error) => fail(new EarlyStatus(Status.CANCELLED, `request body was not received: ${error.message}`)));
      req.on('aborted', () => fail(new EarlyStatus(Status.CANCELLED, 'the client went away before sending the whole request')));
    });
  }

  /** Opens the gRPC call; it is cancelled if the HTTP client goes away before the answer is written. */
  private startCall(req: Request, path: string, protocol: CallProtocol, timeout: string | undefined) {
    const headers: http2.OutgoingHttpHeaders = { 'x-mlmd-bridge': bridgeHeaderValue({ protocol, peer: peerOf(req) }) };
    if (timeout) headers['grpc-timeout'] = timeout;
    const requestId = headerValue(req.headers['x-request-id']);
    if (requestId) headers['x-request-id'] = requestId;
    const webCalls = this.options.webCalls;
    const callId = webCalls?.register({ headers: req.headers, peerAddress: req.socket?.remoteAddress });
    if (callId) headers[WEB_CALL_HEADER] = callId;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.options.channel.request(path, headers);
    } catch (e) {
      if (callId) webCalls!.release(callId);
      throw e;
    }
    if (callId) stream.once('close', () => webCalls!.release(callId));
    let finished = false;
    const onGone = () => {
      if (!finished && !stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
    };
    (req.socket as NodeJS.EventEmitter | null)?.once('close', onGone);
    req.once('close', () => {
      // An HTTP/2 request closes when its stream does; an HTTP/1.1 one when the body is read.
      if ((req as Http2ServerRequest).stream) onGone();
    });
    stream.on('error', () => {
      // Reported through 'close' to the relay; no unhandled error event.
    });
    return {
      stream,
      finish: () => {
        finished = true;
        (req.socket as NodeJS.EventEmitter | null)?.removeListener('close', onGone);
      },
    };
  }

  private refuse(req: Request, res: Response, status: number, message: string, headers: Record<string, string> = {}): void {
    this.options.logger?.info({ path: req.url, method: req.method, http_status: status, reason: message }, 'HTTP request refused');
    const body = `${message}\n`;
    res.writeHead(status, { ...headers, ...closeIfUnread(req), 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  }
}

function isJson(contentType: string | undefined): boolean {
  return !!contentType && /^application\/json\s*(;|$)/i.test(contentType.trim());
}

function headerValue(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

function peerOf(req: Request): string {
  const socket = req.socket as { remoteAddress?: string; remotePort?: number } | null;
  const address = socket?.remoteAddress ?? 'unknown';
  return address.includes(':') ? `[${address}]:${socket?.remotePort ?? 0}` : `${address}:${socket?.remotePort ?? 0}`;
}

/** An HTTP/1.1 request whose body was not read to the end: close the connection after answering rather than read the rest. */
function closeIfUnread(req: Request): Record<string, string> {
  return req.httpVersionMajor === 1 && !req.complete ? { connection: 'close' } : {};
}

function asEarlyStatus(error: unknown): EarlyStatus {
  if (error instanceof EarlyStatus) return error;
  if (error instanceof FramingError) return new EarlyStatus(Status.INVALID_ARGUMENT, error.message);
  if (error instanceof Base64Error) return new EarlyStatus(Status.INVALID_ARGUMENT, error.message);
  if (error instanceof ChannelClosedError) return new EarlyStatus(Status.UNAVAILABLE, error.message);
  return new EarlyStatus(Status.INTERNAL, 'internal error in the HTTP bridge; the server log has the details');
}

/** Response headers from grpc-js that a web client may read (the rest are gRPC transport details). */
function forwardedResponseHeaders(headers: http2.IncomingHttpHeaders): Record<string, string> {
  const requestId = headers['x-request-id'];
  return typeof requestId === 'string' ? { 'x-request-id': requestId } : {};
}

function statusOf(headers: http2.IncomingHttpHeaders): { code: Status; message: string } | undefined {
  const raw = headers['grpc-status'];
  if (raw === undefined) return undefined;
  const code = Number(raw);
  const message = typeof headers['grpc-message'] === 'string' ? percentDecodeMessage(headers['grpc-message']) : '';
  return { code: Number.isInteger(code) ? code : Status.UNKNOWN, message };
}

/** The trailer lines of a status, grpc-message percent-encoded (and left out when empty). */
function statusTrailers(code: Status, message: string): [string, string][] {
  const lines: [string, string][] = [['grpc-status', String(code)]];
  if (message) lines.push(['grpc-message', percentEncodeMessage(message)]);
  return lines;
}

/**
 * A gRPC-web answer without messages (trailers-only): the status both in the HTTP headers
 * and in a trailer frame, so clients reading either find it.
 */
function writeGrpcWebStatus(res: Response, mode: WireMode, code: Status, message: string, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) {
    if (!res.destroyed) res.destroy();
    return;
  }
  const trailers = statusTrailers(code, message);
  const frame = trailerFrame(trailers);
  const body = mode === 'text' ? Buffer.from(frame.toString('base64'), 'latin1') : frame;
  res.writeHead(200, {
    ...headers,
    ...Object.fromEntries(trailers),
    'content-type': responseContentType(mode),
    'content-length': String(body.length),
  });
  res.end(body);
}

function writeJsonStatus(res: Response, code: Status, message: string, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) {
    if (!res.destroyed) res.destroy();
    return;
  }
  const text = JSON.stringify({ code, message, details: [] });
  res.writeHead(httpStatusOf(code), {
    ...headers,
    'content-type': 'application/json',
    'grpc-status': String(code),
    'grpc-message': percentEncodeMessage(message),
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/**
 * Streams the gRPC answer as gRPC-web: gRPC's length-prefixed messages are already
 * gRPC-web data frames, so they pass through (base64 in text mode); gRPC's HTTP/2 trailers
 * become the closing trailer frame.
 */
function relayGrpcWeb(stream: http2.ClientHttp2Stream, res: Response, mode: WireMode, cors: Record<string, string>, finish: () => void): void {
  const encoder = mode === 'text' ? new Base64Encoder() : undefined;
  let trailers: http2.IncomingHttpHeaders | undefined;
  let trailersOnly = false;
  const write = (bytes: Buffer) => {
    if (res.destroyed) return;
    // Both response classes take (chunk, encoding); TypeScript cannot unite their overloads.
    const out = res as ServerResponse;
    if (encoder) {
      const text = encoder.push(bytes);
      if (text) out.write(text, 'latin1');
    } else {
      out.write(bytes);
    }
  };
  // Node emits 'response' on the next tick, so data may come first: it waits for the headers.
  let early: Buffer[] | undefined = [];
  stream.on('response', (headers) => {
    const status = statusOf(headers);
    if (status) {
      trailersOnly = true;
      writeGrpcWebStatus(res, mode, status.code, status.message, { ...cors, ...forwardedResponseHeaders(headers) });
      return;
    }
    if (!res.destroyed) res.writeHead(200, { ...cors, ...forwardedResponseHeaders(headers), 'content-type': responseContentType(mode) });
    for (const chunk of early ?? []) write(chunk);
    early = undefined;
  });
  stream.on('data', (chunk: Buffer) => {
    if (trailersOnly) return;
    if (early) early.push(chunk);
    else write(chunk);
  });
  stream.on('trailers', (headers) => {
    trailers = headers;
  });
  stream.on('close', () => {
    finish();
    if (trailersOnly) return;
    // Trailers mean the server finished the call, whatever order the stream's events came in.
    const status = (trailers && statusOf(trailers)) || {
      code: Status.UNAVAILABLE,
      message: 'the gRPC call ended without a status (server shutting down?)',
    };
    if (!res.headersSent) {
      writeGrpcWebStatus(res, mode, status.code, status.message, cors);
      return;
    }
    write(trailerFrame(statusTrailers(status.code, status.message)));
    if (res.destroyed) return;
    if (encoder) (res as ServerResponse).end(encoder.end(), 'latin1');
    else res.end();
  });
}

interface CollectedAnswer {
  code: Status;
  message: string;
  messages: Buffer[];
  headers: Record<string, string>;
}

/** The whole gRPC answer of a unary call, its messages split out of their frames. */
function collectAnswer(stream: http2.ClientHttp2Stream): Promise<CollectedAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status: { code: Status; message: string } | undefined;
    let headers: Record<string, string> = {};
    stream.on('response', (h) => {
      headers = forwardedResponseHeaders(h);
      status = statusOf(h);
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('trailers', (t) => {
      status ??= statusOf(t);
    });
    stream.on('close', () => {
      const final = status ?? { code: Status.UNAVAILABLE, message: 'the gRPC call ended without a status (server shutting down?)' };
      const body = Buffer.concat(chunks);
      const messages: Buffer[] = [];
      for (let at = 0; at + FRAME_HEADER_BYTES <= body.length; ) {
        const length = body.readUInt32BE(at + 1);
        messages.push(body.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length));
        at += FRAME_HEADER_BYTES + length;
      }
      resolve({ ...final, messages, headers });
    });
  });
}
