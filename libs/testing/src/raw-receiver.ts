import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';

/** What a RawReceiver answers a request with: these bytes as they are, then (unless told) it closes. */
export interface RawAnswer {
  bytes: string | Buffer;
  keepOpen?: boolean;
}

export interface RawRequest {
  path: string;
  webhookId: string | undefined;
}

const HEAD_END = '\r\n\r\n';

export interface RawReceiverOptions {
  /** Written on every new connection before any request arrives (an unsolicited 100 Continue, say). */
  greeting?: string;
  /** Serve over TLS with a throwaway self-signed certificate (clients must not verify it). */
  tls?: boolean;
}

/** A self-signed certificate for `localhost`, made by the openssl CLI. */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'event-api-raw-receiver-'));
  try {
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1'].concat([
        '-subj',
        '/CN=localhost',
      ]),
      { stdio: 'ignore' },
    );
    return { key: readFileSync(key), cert: readFileSync(cert) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A TCP (or TLS) server on 127.0.0.1 that reads HTTP/1.1 requests (head and content-length body)
 * and answers each with the bytes set for its path, for receivers no HTTP server library would
 * write: interim responses, odd status lines, garbage.
 */
export class RawReceiver {
  readonly requests: RawRequest[] = [];
  connections = 0;
  private readonly answers = new Map<string, RawAnswer>();
  private readonly sockets = new Set<Socket>();
  private server?: Server;

  constructor(private readonly options: RawReceiverOptions = {}) {}

  async start(): Promise<string> {
    const serve = (socket: Socket) => this.serve(socket);
    this.server = this.options.tls ? createTlsServer(selfSignedCertificate(), serve) : createServer(serve);
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    const scheme = this.options.tls ? 'https' : 'http';
    return `${scheme}://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  answer(path: string, answer: RawAnswer): void {
    this.answers.set(path, answer);
  }

  count(path: string): number {
    return this.requests.filter((request) => request.path === path).length;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private serve(socket: Socket): void {
    this.connections += 1;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    if (this.options.greeting !== undefined) socket.write(this.options.greeting, 'latin1');
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        const headEnd = buffered.indexOf(HEAD_END);
        if (headEnd === -1) return;
        const head = buffered.slice(0, headEnd);
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        const end = headEnd + HEAD_END.length + length;
        if (buffered.length < end) return;
        buffered = buffered.slice(end);
        const path = head.split(' ')[1] ?? '';
        this.requests.push({ path, webhookId: /\r\nwebhook-id:\s*([^\r]*)/i.exec(head)?.[1] });
        const answer = this.answers.get(path) ?? {
          bytes: 'HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n',
        };
        socket.write(answer.bytes, 'latin1');
        if (!answer.keepOpen) {
          socket.end();
          return;
        }
      }
    });
  }
}
