import { createServer, Server } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';

/**
 * A forward proxy on 127.0.0.1 for tests: records every CONNECT and tunnels only to 127.0.0.1
 * (anything else is refused with 403, so a test never reaches outside the machine).
 */
export class ConnectProxy {
  readonly connects: string[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  async start(): Promise<string> {
    this.server = createServer((_request, response) => response.writeHead(405).end());
    this.server.on('connect', (request, client: Socket, head: Buffer) => {
      const target = request.url ?? '';
      this.connects.push(target);
      this.sockets.add(client);
      client.on('error', () => undefined);
      const [host, port] = [
        target.slice(0, target.lastIndexOf(':')),
        Number(target.slice(target.lastIndexOf(':') + 1)),
      ];
      if (host !== '127.0.0.1') {
        client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const upstream = connect(port, host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      this.sockets.add(upstream);
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
