import type { ServerUnaryCall } from '@grpc/grpc-js';
import { MlmdError, StatusCode } from '../errors';

/**
 * An AbortSignal that fires when the call's client is gone: it cancelled, its deadline passed,
 * or the server cancelled the call (shutdown past its grace). grpc-js reports all three as the
 * call's 'cancelled' event; the deadline is also watched here so the store hears of it even
 * if that event comes late. The reason is the status the caller would see.
 */
export function callCancellation(call: ServerUnaryCall<unknown, unknown>): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const deadline = deadlineMs(call);
  let timer: NodeJS.Timeout | undefined;
  const abort = (reason: MlmdError) => {
    clearTimeout(timer);
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const deadlineExceeded = () =>
    new MlmdError(StatusCode.DEADLINE_EXCEEDED, 'The call passed its deadline; its transaction was rolled back.');
  const onCancelled = () =>
    abort(
      Number.isFinite(deadline) && Date.now() >= deadline
        ? deadlineExceeded()
        : new MlmdError(StatusCode.CANCELLED, 'The call was cancelled; its transaction was rolled back.'),
    );
  call.once('cancelled', onCancelled);
  if (Number.isFinite(deadline)) {
    // setTimeout holds at most ~24.8 days; a later deadline is as good as none.
    const wait = deadline - Date.now();
    if (wait <= 0) abort(deadlineExceeded());
    else if (wait < 2 ** 31 - 1) {
      timer = setTimeout(() => abort(deadlineExceeded()), wait);
      timer.unref();
    }
  }
  // `done` once the handler answered: no timer outlives the call, and the stream's closing
  // after the answer (grpc-js reports it as 'cancelled' too) builds no error nobody reads.
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      call.removeListener('cancelled', onCancelled);
    },
  };
}

function deadlineMs(call: ServerUnaryCall<unknown, unknown>): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : Number(deadline);
}
