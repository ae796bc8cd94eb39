import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { SERVER_LIMITS, ServerLimits } from './server-limits';
import { carriesBody, destroyAfter, leaveBodyUnread } from './unread-body';

export interface HardenedServerOptions {
  limits?: ServerLimits;
  /**
   * The handler reads request bodies (and answers `Expect: 100-continue` with `writeContinue()` when
   * it does). Otherwise every body that comes is left unread (leaveBodyUnread).
   */
  readsBodies?: boolean;
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request timed out'],
};

/**
 * Errors Node's HTTP parser raises before any handler sees the request (oversized headers, a
 * malformed request, a timeout) get the `{code, message}` body too, instead of Node's empty one. The
 * socket is then destroyed after a short grace: `end()` alone only half-closes it, and a client that
 * never reads and never closes would keep its file descriptor for good.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, limits: ServerLimits): void {
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
  destroyAfter(socket, limits.errorCloseGraceMs);
}

interface Connection {
  /** Requests received and not yet answered (their answers not yet written out). */
  unanswered: number;
  /** Since when answer bytes have been waiting for the client to take them. */
  stalledSince?: number;
}

/**
 * What one connection may hold: at most `maxPipelinedRequests` requests received and not yet
 * answered (a client pipelining hundreds in one write, never reading, would otherwise make the
 * server build and buffer every answer), and answer bytes waiting for the client no longer than
 * `requestTimeoutMs` (Node's own idle timer forgives a stalled write once, so such a socket
 * would live twice the idle timeout).
 */
class ConnectionWatch {
  private readonly connections = new Map<Socket, Connection>();

  constructor(
    server: Server,
    private readonly limits: ServerLimits,
  ) {
    server.on('connection', (socket: Socket) => {
      const connection: Connection = { unanswered: 0 };
      this.connections.set(socket, connection);
      socket.on('drain', () => (connection.stalledSince = undefined));
      socket.once('close', () => this.connections.delete(socket));
    });
    const check = setInterval(() => this.check(), limits.checkIntervalMs);
    check.unref();
    server.once('close', () => clearInterval(check));
  }

  /** Counts the request in; false (and the socket destroyed) when its connection has too many unanswered. */
  admit(request: IncomingMessage, response: ServerResponse): boolean {
    const connection = this.connections.get(request.socket);
    if (!connection) return !request.socket.destroyed;
    connection.unanswered += 1;
    response.once('close', () => (connection.unanswered -= 1));
    if (connection.unanswered <= this.limits.maxPipelinedRequests) return true;
    request.socket.destroy();
    return false;
  }

  private check(): void {
    const now = Date.now();
    for (const [socket, connection] of this.connections) {
      if (socket.writableLength === 0) {
        connection.stalledSince = undefined;
        continue;
      }
      connection.stalledSince ??= now;
      if (now - connection.stalledSince >= this.limits.requestTimeoutMs) socket.destroy();
    }
  }
}

/**
 * The one way the product opens an HTTP listener (the API, METRICS_PORT, WORKER_PORT), with the
 * limits of SERVER_LIMITS (README → Security): headers and request deadlines checked every second,
 * idle keep-alive and idle sockets closed, 16 KiB of headers, the server's own errors as
 * `{code, message}` followed by the socket's destruction, a bound on pipelined requests and on
 * answers the client does not take, and no `100 Continue` sent before the handler asks for the body.
 */
export function createHardenedServer(handler: RequestListener, options: HardenedServerOptions = {}): Server {
  const limits = options.limits ?? SERVER_LIMITS;
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
    maxHeaderSize: limits.maxHeaderBytes,
  });
  const watch = new ConnectionWatch(server, limits);
  const guarded = (request: IncomingMessage, response: ServerResponse): void => {
    if (!watch.admit(request, response)) return;
    if (!options.readsBodies && carriesBody(request)) {
      leaveBodyUnread(request, response, limits.errorCloseGraceMs);
    }
    handler(request, response);
  };
  server.on('request', guarded);
  // With a listener here Node sends no `100 Continue` by itself: a refused body is never asked for.
  server.on('checkContinue', guarded);
  // No 'timeout' listener: Node destroys a socket idle for this long.
  server.setTimeout(limits.socketIdleTimeoutMs);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(error, socket, limits),
  );
  return server;
}
