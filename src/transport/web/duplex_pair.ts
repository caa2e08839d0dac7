import { Duplex } from 'node:stream';

/**
 * Two connected in-memory Duplex streams: what one writes, the other reads. Node 22 has
 * stream.duplexPair; Node 20 (our minimum) does not. The bridge runs HTTP/2 over such a pair
 * into grpc-js, so no socket (and no second way past the gRPC port's TLS) is opened.
 *
 * What one side wrote stays readable by the other after the writer ends or is destroyed:
 * HTTP/2 sends its last frames (a call's trailers) and then destroys its socket at once.
 */
export function duplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  const inputEnded = [false, false];
  const deliver = (to: number, chunk: Buffer | null) => {
    const target = sides[to];
    if (inputEnded[to] || target.destroyed) return;
    if (chunk === null) inputEnded[to] = true;
    target.push(chunk);
  };
  for (const [self, peer] of [
    [0, 1],
    [1, 0],
  ] as const) {
    sides[self] = new Duplex({
      write(chunk: Buffer, _encoding, callback) {
        deliver(peer, chunk);
        callback();
      },
      final(callback) {
        deliver(peer, null);
        callback();
      },
      destroy(error, callback) {
        deliver(peer, null);
        callback(error);
      },
      read() {
        // Data is pushed by the peer's writes.
      },
    });
  }
  return [sides[0], sides[1]];
}
