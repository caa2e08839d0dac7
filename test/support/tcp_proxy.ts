import net from 'node:net';

/**
 * A TCP proxy in front of a database, for fault tests: it forwards until `freeze()`, after
 * which it keeps every connection open and passes nothing either way (a hung database: TCP
 * accepted, no answer); with no target at all it is a database that never answers from the
 * start. `listen` may take a fixed port (a database that comes up late on its usual port).
 */
export class TcpProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private frozen = false;

  private constructor(private readonly target: { host: string; port: number } | undefined) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(target: { host: string; port: number } | undefined, port = 0): Promise<TcpProxy & { port: number }> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(port, '127.0.0.1', () => resolve());
    });
    return Object.assign(proxy, { port: (proxy.server.address() as net.AddressInfo).port });
  }

  /** From now on nothing passes, in either direction, on old or new connections. */
  freeze(): void {
    this.frozen = true;
    for (const socket of this.sockets) socket.pause();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.track(client);
    client.on('error', () => undefined);
    if (!this.target || this.frozen) {
      client.pause();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    this.track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const forward = (from: net.Socket, to: net.Socket) => {
      from.on('data', (chunk) => {
        if (!this.frozen) to.write(chunk);
      });
      from.on('close', () => to.destroy());
    };
    forward(client, upstream);
    forward(upstream, client);
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}
