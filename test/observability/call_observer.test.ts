import { Metadata, status as Status, type ServerInterceptingCallInterface } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { MetadataStoreServiceService } from '../../src/generated/ml_metadata/proto/metadata_store_service';
import { interceptorOf, type CallOutcome } from '../../src/transport/interceptors/call_observer';

type Listener = Parameters<ServerInterceptingCallInterface['start']>[0];

/** A server call stand-in with a chosen deadline, recording the listener it is given. */
function stubCall(deadline: Date | number): ServerInterceptingCallInterface & { listener?: Listener; sent: unknown[] } {
  const stub = {
    sent: [] as unknown[],
    listener: undefined as Listener | undefined,
    start(listener: Listener) {
      stub.listener = listener;
    },
    sendMetadata: () => {},
    sendMessage: (_m: unknown, cb: () => void) => cb(),
    sendStatus: (s: unknown) => void stub.sent.push(s),
    startRead: () => {},
    getPeer: () => 'ipv4:127.0.0.1:1',
    getDeadline: () => deadline,
    getHost: () => 'localhost',
    getAuthContext: () => ({}),
    getConnectionInfo: () => ({}),
    getMetricsRecorder: () => undefined as never,
  };
  return stub as unknown as ServerInterceptingCallInterface & { listener?: Listener; sent: unknown[] };
}

const noop: Listener = { onReceiveMetadata: () => {}, onReceiveMessage: () => {}, onReceiveHalfClose: () => {}, onCancel: () => {} };

function outcomesOf(deadline: Date | number, drive: (call: ReturnType<ReturnType<typeof interceptorOf>>, stub: ReturnType<typeof stubCall>) => void) {
  const outcomes: CallOutcome[] = [];
  const interceptor = interceptorOf(() => ({ finished: (o) => outcomes.push(o) }));
  const stub = stubCall(deadline);
  const call = interceptor(MetadataStoreServiceService.getArtifactTypes, stub);
  call.start(noop);
  stub.listener!.onReceiveMetadata(new Metadata());
  drive(call, stub);
  return outcomes;
}

describe('interceptorOf: how a call ended', () => {
  it('takes the status the handler sent, once, ignoring the cancel grpc-js reports afterwards', () => {
    const outcomes = outcomesOf(Infinity, (call, stub) => {
      call.sendStatus({ code: Status.NOT_FOUND, details: 'nope' });
      stub.listener!.onCancel();
    });
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ code: Status.NOT_FOUND, details: 'nope' });
  });

  it('reads a cancel after the deadline as DEADLINE_EXCEEDED', () => {
    const outcomes = outcomesOf(new Date(Date.now() - 5), (_call, stub) => stub.listener!.onCancel());
    expect(outcomes.map((o) => o.code)).toEqual([Status.DEADLINE_EXCEEDED]);
  });

  it('reads a cancel before the deadline (or without one) as CANCELLED', () => {
    expect(outcomesOf(Date.now() + 60_000, (_c, stub) => stub.listener!.onCancel()).map((o) => o.code)).toEqual([
      Status.CANCELLED,
    ]);
    expect(outcomesOf(Infinity, (_c, stub) => stub.listener!.onCancel()).map((o) => o.code)).toEqual([Status.CANCELLED]);
  });
});
