import {
  Metadata,
  ServerInterceptingCall,
  status as Status,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type ServerMethodDefinition,
} from '@grpc/grpc-js';
import { takeBridgedCall, type CallProtocol } from '../web/bridge_marker';

/** How a call ended, as seen by the server. */
export interface CallOutcome {
  code: Status;
  details: string;
  /** Seconds from the call reaching the interceptors to its status being sent. */
  seconds: number;
}

/**
 * What one observer wants to hear about one call. Everything but `finished` is optional;
 * `finished` fires exactly once per call, whether the handler sent a status, the client
 * cancelled, or the deadline passed (grpc-js then ends the call below the interceptors, and
 * only the cancel notification comes up).
 */
export interface CallEvents {
  /** The request headers, before the handler sees them; may add entries. */
  receivedMetadata?(metadata: Metadata): void;
  receivedMessage?(): void;
  sentMessage?(): void;
  /** Response headers about to go out (also for trailers-only responses); may add entries. */
  sendingHeaders?(metadata: Metadata): void;
  finished(outcome: CallOutcome): void;
}

/**
 * How the call reached us, known once its metadata has arrived (before any `receivedMetadata`
 * and `finished`): native gRPC, or gRPC-web/JSON through the HTTP bridge, whose calls come
 * over an in-process connection and so carry the HTTP client's address here instead.
 */
export interface CallContext {
  protocol: CallProtocol;
  /** The client's address: grpc-js's peer, or the HTTP client's for a bridged call. */
  peer(): string;
}

/** Per call, given the method and the call, the events an observer wants (or nothing). */
export type CallObserver = (
  method: ServerMethodDefinition<unknown, unknown>,
  call: ServerInterceptingCallInterface,
  context: CallContext,
) => CallEvents | undefined;

/**
 * One grpc-js ServerInterceptor feeding any number of observers, so that logging and
 * metrics share a single intercepting layer (and its allocation) per call.
 */
export function interceptorOf(...observers: CallObserver[]): ServerInterceptor {
  return (method, call) => {
    const startedAt = process.hrtime.bigint();
    let bridgedPeer: string | undefined;
    const context: CallContext = { protocol: 'grpc', peer: () => bridgedPeer ?? call.getPeer() };
    const events: CallEvents[] = [];
    for (const observe of observers) {
      const e = observe(method, call, context);
      if (e) events.push(e);
    }
    let headersSent = false;
    let done = false;
    const finish = (code: Status, details: string) => {
      if (done) return;
      done = true;
      const outcome = { code, details, seconds: Number(process.hrtime.bigint() - startedAt) / 1e9 };
      for (const e of events) e.finished(outcome);
    };
    const addHeaders = (metadata: Metadata) => {
      headersSent = true;
      for (const e of events) e.sendingHeaders?.(metadata);
    };
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            // Removed here, whoever observes: the handler never sees the bridge's header.
            const bridged = takeBridgedCall(metadata);
            if (bridged) {
              context.protocol = bridged.protocol;
              bridgedPeer = bridged.peer;
            }
            for (const e of events) e.receivedMetadata?.(metadata);
            nextMetadata(metadata);
          },
          onReceiveMessage(message, nextMessage) {
            for (const e of events) e.receivedMessage?.();
            nextMessage(message);
          },
          onCancel() {
            // After a normal status grpc-js also reports a cancel; `finish` ignores it then.
            finish(deadlinePassed(call) ? Status.DEADLINE_EXCEEDED : Status.CANCELLED, 'call ended by the client');
          },
        });
      },
      sendMetadata(metadata, next) {
        addHeaders(metadata);
        next(metadata);
      },
      sendMessage(message, next) {
        for (const e of events) e.sentMessage?.();
        next(message);
      },
      sendStatus(status, next) {
        const code = status.code ?? Status.UNKNOWN;
        if (!headersSent) {
          // A trailers-only response (typically an error): its trailers are the only headers.
          const metadata = status.metadata ?? new Metadata();
          addHeaders(metadata);
          status = { ...status, metadata };
        }
        finish(code, status.details ?? '');
        next(status);
      },
    });
  };
}

function deadlinePassed(call: ServerInterceptingCallInterface): boolean {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) && Date.now() >= at;
}
