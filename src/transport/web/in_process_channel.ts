import http2 from 'node:http2';
import { ServerCredentials, type Server } from '@grpc/grpc-js';
import { duplexPair } from './duplex_pair';

type ConnectionInjector = ReturnType<Server['createConnectionInjector']>;

/** A call attempted after the server began shutting down. */
export class ChannelClosedError extends Error {
  constructor() {
    super('the server is shutting down');
  }
}

/**
 * An HTTP/2 client session connected straight into our grpc-js server (its connection
 * injector, over an in-memory stream pair). Every call the bridge makes is therefore an
 * ordinary gRPC call: the same routing, interceptors (metrics, logs, error mapping),
 * message and metadata limits and deadline handling as a call from the network, and no
 * handler knows the difference. The session is opened on first use and again after it
 * closes.
 */
export class InProcessChannel {
  private readonly injector: ConnectionInjector;
  private session: http2.ClientHttp2Session | undefined;
  private closed = false;

  constructor(server: Server) {
    // The in-memory stream is private to this process; TLS on it would protect nothing.
    this.injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  }

  /** Starts one gRPC request on `path` (e.g. /ml_metadata.MetadataStoreService/GetArtifacts). */
  request(path: string, headers: http2.OutgoingHttpHeaders): http2.ClientHttp2Stream {
    if (this.closed) throw new ChannelClosedError();
    return this.connect().request(
      { ':method': 'POST', ':path': path, ':scheme': 'http', 'content-type': 'application/grpc+proto', te: 'trailers', ...headers },
      { endStream: false },
    );
  }

  /**
   * Refuses new calls. In-flight ones go on: the gRPC server's own (graceful) shutdown closes
   * the session it holds once they end, as it does for connections from the network.
   */
  close(): void {
    this.closed = true;
  }

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const [clientSide, serverSide] = duplexPair();
    this.injector.injectConnection(serverSide);
    const session = http2.connect('http://in-process.invalid', { createConnection: () => clientSide });
    session.on('error', () => {
      // A failed session fails its streams, which report to their callers.
    });
    session.on('close', () => {
      if (this.session === session) this.session = undefined;
    });
    session.unref?.();
    this.session = session;
    return session;
  }
}
