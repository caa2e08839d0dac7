import { randomUUID } from 'node:crypto';
import { status as Status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { grpcCodeName } from '../../observability/grpc_code_names';
import { methodLabels } from '../../observability/grpc_metrics';
import type { CallObserver } from './call_observer';

export const REQUEST_ID_HEADER = 'x-request-id';
/** Longer client-sent ids are cut, so a client cannot bloat every log line. */
const MAX_REQUEST_ID_LENGTH = 128;
/** Status details in a log line are cut too; the client already has the full text. */
const MAX_DETAILS_LENGTH = 512;

/** Codes that point at the server or its database rather than at the request. */
const SERVER_FAULTS = new Set<number>([Status.UNKNOWN, Status.INTERNAL, Status.DATA_LOSS, Status.UNAVAILABLE]);

export interface LoggingOptions {
  logger: Logger;
  /** Calls at least this slow are logged at warn level with `slow: true`; default 1000 ms. */
  slowCallThresholdMs?: number;
}

export const DEFAULT_SLOW_CALL_THRESHOLD_MS = 1000;

/**
 * One log line per RPC: method, status code, duration, peer and request id. The request id
 * is the client's `x-request-id` header when sent, else a fresh UUID; either way it is put on
 * the request metadata (so handlers can log it) and echoed in the response headers. Request
 * metadata and messages are never logged: they may carry credentials or user data.
 */
export function loggingObserver(options: LoggingOptions): CallObserver {
  const { logger } = options;
  const slowSeconds = (options.slowCallThresholdMs ?? DEFAULT_SLOW_CALL_THRESHOLD_MS) / 1000;
  return (method, call) => {
    const labels = methodLabels(method);
    let requestId: string | undefined;
    const ensureRequestId = () => (requestId ??= randomUUID());
    return {
      receivedMetadata(metadata) {
        const sent = metadata.get(REQUEST_ID_HEADER)[0];
        if (typeof sent === 'string' && sent.length > 0) {
          requestId = sent.slice(0, MAX_REQUEST_ID_LENGTH);
        } else {
          metadata.set(REQUEST_ID_HEADER, ensureRequestId());
        }
      },
      sendingHeaders(metadata) {
        metadata.set(REQUEST_ID_HEADER, ensureRequestId());
      },
      finished({ code, details, seconds }) {
        const slow = seconds >= slowSeconds;
        const line: Record<string, unknown> = {
          request_id: ensureRequestId(),
          grpc_service: labels.grpc_service,
          grpc_method: labels.grpc_method,
          grpc_code: grpcCodeName(code),
          grpc_status: code,
          duration_ms: Math.round(seconds * 1e6) / 1e3,
          peer: call.getPeer(),
        };
        if (code !== Status.OK) line.grpc_message = details.slice(0, MAX_DETAILS_LENGTH);
        if (slow) line.slow = true;
        if (SERVER_FAULTS.has(code)) logger.error(line, slow ? 'slow rpc failed' : 'rpc failed');
        else if (slow) logger.warn(line, 'slow rpc');
        else logger.info(line, 'rpc finished');
      },
    };
  };
}
