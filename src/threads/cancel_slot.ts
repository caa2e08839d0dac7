import { MlmdError, type StatusCode } from '../errors';

/**
 * Where the main thread tells a store thread that its current call was cancelled, and why.
 * better-sqlite3 is synchronous and a call's statements follow each other in microtasks, so
 * a posted message would only be read once the whole call is over; this shared memory is
 * read before every statement (store_thread.ts), so a cancelled call stops at its next
 * statement as it does on the main thread. Layout (Int32): [0] the cancelled call's seq,
 * [1] its status code, [2] the reason's UTF-8 length, then the reason's bytes.
 */
const HEADER_BYTES = 12;
const REASON_BYTES = 1024;

export class CancelSlot {
  private readonly header: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(HEADER_BYTES + REASON_BYTES)) {
    this.header = new Int32Array(buffer, 0, 3);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES);
  }

  /**
   * Main thread: call `seq` is cancelled for `reason`. Only the thread's current call is ever
   * cancelled, and the thread reads the slot before answering it, so no write overlaps a read.
   */
  cancel(seq: number, reason: MlmdError): void {
    const encoded = new TextEncoder().encode(reason.message);
    const length = Math.min(encoded.length, REASON_BYTES);
    this.bytes.set(encoded.subarray(0, length));
    this.header[1] = reason.code;
    this.header[2] = length;
    Atomics.store(this.header, 0, seq);
  }

  /** Store thread: why call `seq` was cancelled, or undefined if it was not. */
  reasonFor(seq: number): MlmdError | undefined {
    if (Atomics.load(this.header, 0) !== seq) return undefined;
    // TextDecoder refuses views on shared memory: copy the bytes out first.
    const message = new TextDecoder().decode(this.bytes.slice(0, this.header[2]));
    return new MlmdError(this.header[1] as StatusCode, message);
  }
}
