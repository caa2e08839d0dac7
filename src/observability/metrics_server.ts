import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What /metrics serves: a registry, or the whole cluster's metrics gathered by the primary. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface MetricsServerHandle {
  /** The port actually bound (useful when 0 asked for an ephemeral one). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves the registry at GET /metrics on its own port, so that scraping never competes with
 * (or is exposed with) the gRPC port. `port` 0 means disabled, following the --metrics_port
 * flag; returns null then.
 */
export async function startMetricsServer(
  port: number,
  registry: MetricsSource,
  host?: string,
): Promise<MetricsServerHandle | null> {
  if (port === 0) return null;
  return listenMetricsServer(port, registry, host);
}

/** Binds exactly `port` (0 = any free port), for tests and tools. */
export function listenMetricsServer(port: number, registry: MetricsSource, host?: string): Promise<MetricsServerHandle> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found; metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('Method not allowed\n');
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'Content-Type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`collecting metrics failed: ${(error as Error).message}\n`);
      },
    );
  });
  // A scrape is short; do not let idle keep-alive sockets hold shutdown up.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
