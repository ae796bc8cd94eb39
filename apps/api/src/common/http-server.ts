import { createServer, STATUS_CODES } from 'node:http';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ExpressAdapter } from '@nestjs/platform-express';

export interface ServerLimits {
  /** The whole header block must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** The whole request, body included. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often Node checks the two timeouts above (its default, 30 s, would let them overrun by that much). */
  checkIntervalMs: number;
  /** Header bytes per request; more is a 431. */
  maxHeaderBytes: number;
  /**
   * A socket on which nothing moves for this long is destroyed, whatever it is doing: a client that
   * sends a request and never reads the answer cannot hold it.
   */
  socketIdleTimeoutMs: number;
  /** After the server answers an error of its own, the client has this long to read it and close. */
  errorCloseGraceMs: number;
}

/** Deliberate server limits (README → Security): a slow or bloated client cannot hold a socket for long. */
export const SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  maxHeaderBytes: 16 * 1024,
  socketIdleTimeoutMs: 30_000,
  errorCloseGraceMs: 1_000,
};

/**
 * Nest's Express adapter with the HTTP server built from SERVER_LIMITS: some of them (the check
 * interval, the header size) can only be given when the server is created.
 */
export class HardenedExpressAdapter extends ExpressAdapter {
  constructor(private readonly limits: ServerLimits = SERVER_LIMITS) {
    super();
  }

  override initHttpServer(): void {
    this.httpServer = createServer(
      {
        headersTimeout: this.limits.headersTimeoutMs,
        requestTimeout: this.limits.requestTimeoutMs,
        keepAliveTimeout: this.limits.keepAliveTimeoutMs,
        connectionsCheckingInterval: this.limits.checkIntervalMs,
        maxHeaderSize: this.limits.maxHeaderBytes,
      },
      this.getInstance(),
    );
    // No 'timeout' listener: Node destroys a socket idle for this long.
    this.httpServer.setTimeout(this.limits.socketIdleTimeoutMs);
  }
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request timed out'],
};

/**
 * Errors Node's HTTP parser raises before Express sees the request (oversized headers, a malformed
 * request line, a timeout) get the `{code, message}` body too, instead of Node's empty one. The
 * socket is then destroyed after a short grace: `end()` alone only half-closes it, and a client that
 * never reads and never closes would keep its file descriptor for good.
 */
export function configureHttpServer(server: Server, limits: ServerLimits = SERVER_LIMITS): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'Malformed HTTP request'];
    const body = JSON.stringify({ code, message });
    socket.end(
      `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    const grace = setTimeout(() => socket.destroy(), limits.errorCloseGraceMs);
    grace.unref();
    socket.once('close', () => clearTimeout(grace));
  });
}
