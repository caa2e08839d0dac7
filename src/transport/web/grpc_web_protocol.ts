/**
 * The gRPC-web wire format (github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md) as
 * Kubeflow's UI, its UI server and the `grpc-web` runtime use it: length-prefixed frames
 * (flag byte, 4-byte big-endian length), flag 0x00 for a message and 0x80 for the trailer
 * block; in text mode the whole body is base64.
 */

export const DATA_FRAME = 0x00;
export const TRAILER_FRAME = 0x80;
/** Flag bit 0x01 marks a compressed message; we advertise no grpc-encoding, so none may come. */
const COMPRESSED_FLAG = 0x01;
export const FRAME_HEADER_BYTES = 5;

export type WireMode = 'binary' | 'text';

/** The request content types we speak, by mode; `+proto` is the default sub-format. */
const CONTENT_TYPES: Record<string, WireMode> = {
  'application/grpc-web': 'binary',
  'application/grpc-web+proto': 'binary',
  'application/grpc-web-text': 'text',
  'application/grpc-web-text+proto': 'text',
};

/** The mode a request content type asks for, or undefined when it is not gRPC-web over proto. */
export function grpcWebMode(contentType: string | undefined): WireMode | undefined {
  if (!contentType) return undefined;
  const bare = contentType.split(';', 1)[0].trim().toLowerCase();
  return CONTENT_TYPES[bare];
}

export function isGrpcWebFamily(contentType: string | undefined): boolean {
  return !!contentType && /^application\/grpc-web/i.test(contentType.trim());
}

export function responseContentType(mode: WireMode): string {
  return mode === 'text' ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto';
}

export function frameHeader(flag: number, length: number): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header[0] = flag;
  header.writeUInt32BE(length, 1);
  return header;
}

export function dataFrame(message: Uint8Array): Buffer {
  return Buffer.concat([frameHeader(DATA_FRAME, message.length), message]);
}

/** Why a request body is not exactly one uncompressed message frame. */
export class FramingError extends Error {}

/**
 * The one message of a unary request body. A gRPC-web request carries exactly one data
 * frame; anything else (a cut frame, trailing bytes, a second frame, a compressed or trailer
 * flag) is refused with a message saying which.
 */
export function singleMessage(body: Buffer): Buffer {
  if (body.length < FRAME_HEADER_BYTES) {
    throw new FramingError(`request body is ${body.length} bytes, shorter than a gRPC-web frame header (5 bytes)`);
  }
  const flag = body[0];
  if (flag & TRAILER_FRAME) throw new FramingError('request body starts with a trailer frame; a data frame (flag 0x00) is expected');
  if (flag & COMPRESSED_FLAG) throw new FramingError('request message is compressed, but the server accepts no grpc-encoding');
  if (flag !== DATA_FRAME) throw new FramingError(`request frame has unknown flag 0x${flag.toString(16).padStart(2, '0')}`);
  const length = body.readUInt32BE(1);
  const end = FRAME_HEADER_BYTES + length;
  if (body.length < end) {
    throw new FramingError(`request frame is truncated: its header announces ${length} bytes, ${body.length - FRAME_HEADER_BYTES} arrived`);
  }
  if (body.length > end) throw new FramingError(`request body has ${body.length - end} bytes after its one message frame`);
  return body.subarray(FRAME_HEADER_BYTES, end);
}

/** The length a frame header announces, once its 5 bytes are there (to refuse oversized frames early). */
export function announcedLength(prefix: Buffer): number | undefined {
  return prefix.length >= FRAME_HEADER_BYTES ? prefix.readUInt32BE(1) : undefined;
}

/**
 * gRPC's percent-encoding of grpc-message: every byte of the UTF-8 text outside printable
 * ASCII (0x20-0x7E), and '%' itself, becomes %XX. decodeURIComponent reverses it, which is
 * what the grpc-web runtime and Kubeflow's validator apply.
 */
export function percentEncodeMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The inverse; text that is not valid percent-encoding is taken as it is. */
export function percentDecodeMessage(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/** A trailer frame: lower-case `name:value` lines, each ended by CRLF. */
export function trailerFrame(trailers: ReadonlyArray<readonly [string, string]>): Buffer {
  const block = Buffer.from(trailers.map(([name, value]) => `${name.toLowerCase()}:${value}\r\n`).join(''), 'latin1');
  return Buffer.concat([frameHeader(TRAILER_FRAME, block.length), block]);
}

/** Why a text-mode body is not base64. */
export class Base64Error extends Error {}

const BASE64_SEGMENT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Strict base64 decoding of a text-mode body. A client may send several base64 chunks one
 * after another, each with its own padding, so padding may also end a segment in the
 * middle. Node's decoder skips characters it does not know; here any such character, or a
 * length that is not whole 4-character groups, is an error.
 */
export function decodeBase64Body(text: string): Buffer {
  const compact = text.replace(/[\r\n\t ]+/g, '');
  const parts: Buffer[] = [];
  for (let start = 0; start < compact.length; ) {
    const pad = compact.indexOf('=', start);
    let end = pad < 0 ? compact.length : pad + 1;
    if (pad >= 0 && compact[end] === '=') end++;
    const segment = compact.slice(start, end);
    if (!BASE64_SEGMENT.test(segment)) {
      throw new Base64Error('request body of a grpc-web-text call is not valid base64');
    }
    parts.push(Buffer.from(segment, 'base64'));
    start = end;
  }
  return Buffer.concat(parts);
}

/**
 * Base64 for a streamed text-mode response: bytes are encoded in whole 3-byte groups as they
 * come, the remainder (with its padding) at the end, so the client's decoder never meets
 * padding in the middle.
 */
export class Base64Encoder {
  private carry = Buffer.alloc(0);

  push(chunk: Buffer): string {
    const bytes = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const whole = bytes.length - (bytes.length % 3);
    this.carry = Buffer.from(bytes.subarray(whole));
    return bytes.subarray(0, whole).toString('base64');
  }

  end(): string {
    const rest = this.carry.toString('base64');
    this.carry = Buffer.alloc(0);
    return rest;
  }
}
