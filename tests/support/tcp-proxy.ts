import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy for fault injection: a client pointed at it loses its server when the proxy is cut
 * (listener closed, live connections reset), without stopping the real server other suites share.
 */
export class TcpProxy {
  #server: Server | null = null;
  #sockets = new Set<Socket>();
  #port = 0;
  readonly #target: { host: string; port: number };

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  get port(): number {
    return this.#port;
  }

  async start(port = this.#port): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target.port, this.#target.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) =>
      server.once('error', reject).listen(port, '127.0.0.1', resolve),
    );
    this.#port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** Refuses new connections and resets the open ones, like a server that died. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Serves again on the same port. */
  async restore(): Promise<void> {
    await this.start(this.#port);
  }
}
