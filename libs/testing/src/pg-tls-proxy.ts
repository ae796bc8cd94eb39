import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';

/** PostgreSQL's SSLRequest: length 8, code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * A stand-in for a managed PostgreSQL that requires TLS: it answers PostgreSQL's SSLRequest, does
 * the TLS handshake with a throwaway self-signed certificate for `localhost`, and relays the
 * decrypted protocol to the plain server behind it. A client that does not ask for TLS is cut off,
 * as `hostssl`-only servers do. `tlsSessions` counts handshakes that completed.
 */
interface ProxyState {
  sockets: Set<Socket>;
  tlsSessions: number;
}

export class PgTlsProxy {
  private constructor(
    private readonly state: ProxyState,
    private readonly server: Server,
    readonly port: number,
    /** PEM of the certificate, for `sslrootcert`. */
    readonly certificateFile: string,
    private readonly dir: string,
  ) {}

  static async start(upstream: { host: string; port: number }): Promise<PgTlsProxy> {
    const dir = mkdtempSync(join(tmpdir(), 'event-api-pg-tls-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1'].concat([
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
      ]),
      { stdio: 'ignore' },
    );
    const secure = { key: readFileSync(key), cert: readFileSync(cert) };
    const proxy: ProxyState = { sockets: new Set(), tlsSessions: 0 };
    const server = createServer((client) => {
      proxy.sockets.add(client);
      client.once('close', () => proxy.sockets.delete(client));
      client.on('error', () => undefined);
      client.once('data', (first) => {
        if (!first.subarray(0, 8).equals(SSL_REQUEST)) return client.destroy();
        client.write('S');
        const tls = new TLSSocket(client, { isServer: true, ...secure });
        tls.on('error', () => client.destroy());
        tls.once('secure', () => {
          proxy.tlsSessions += 1;
          const backend = createConnection(upstream);
          proxy.sockets.add(backend);
          backend.on('error', () => tls.destroy());
          backend.once('close', () => {
            proxy.sockets.delete(backend);
            tls.destroy();
          });
          tls.once('close', () => backend.destroy());
          tls.pipe(backend).pipe(tls);
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new PgTlsProxy(proxy, server, (server.address() as { port: number }).port, cert, dir);
  }

  get tlsSessions(): number {
    return this.state.tlsSessions;
  }

  async close(): Promise<void> {
    for (const socket of this.state.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
