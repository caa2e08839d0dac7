import { Duplex } from 'node:stream';

/**
 * Two connected in-memory Duplex streams: what one writes, the other reads. Node 22 has
 * stream.duplexPair; Node 20 (our minimum) does not. The bridge runs HTTP/2 over such a pair
 * into grpc-js, so no socket (and no second way past the gRPC port's TLS) is opened.
 */
export function duplexPair(): [Duplex, Duplex] {
  let a: Duplex;
  let b: Duplex;
  const side = (peer: () => Duplex) =>
    new Duplex({
      write(chunk: Buffer, _encoding, callback) {
        peer().push(chunk);
        callback();
      },
      final(callback) {
        peer().push(null);
        callback();
      },
      destroy(error, callback) {
        const other = peer();
        if (!other.destroyed) other.destroy();
        callback(error);
      },
      read() {
        // Data is pushed by the peer's writes.
      },
    });
  a = side(() => b);
  b = side(() => a);
  return [a, b];
}
