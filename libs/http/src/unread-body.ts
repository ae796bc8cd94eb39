import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** The request announces a body: a Content-Length other than 0, or a Transfer-Encoding. */
export function carriesBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Destroys the socket `graceMs` from now unless it closes first (read or not, its client had its answer). */
export function destroyAfter(socket: Duplex, graceMs: number): void {
  if (socket.destroyed) return;
  const grace = setTimeout(() => socket.destroy(), graceMs);
  grace.unref();
  socket.once('close', () => clearTimeout(grace));
}

const UNREAD = Symbol('request body left unread');

/**
 * For a request whose body will not be read (refused from its headers, cut off past a limit, or sent
 * to a route that takes none): no more bytes are taken off the wire from now on, the answer says
 * `Connection: close`, and the socket is destroyed `graceMs` after the answer was written, read or not
 * (README → Security). Left alone, Node would drain the body nobody read (as many bytes as the
 * client cares to send, to keep the connection alive) and, with `Connection: close`, destroy the
 * socket the moment its answer is written, while the client may still be sending and not yet have
 * read it. Idempotent.
 */
export function leaveBodyUnread(request: IncomingMessage, response: ServerResponse, graceMs: number): void {
  const socket = request.socket as Socket & { [UNREAD]?: true };
  if (!response.headersSent) response.setHeader('Connection', 'close');
  if (socket[UNREAD]) return;
  socket[UNREAD] = true;
  request.pause();
  socket.pause();
  // Node's HTTP server resumes the socket to drain an unread body once the answer is written (and on
  // 'drain'): this connection reads nothing more, ever.
  socket.resume = () => socket;
  // …and ends the connection through destroySoon: the write side closes, the grace below destroys it.
  socket.destroySoon = () => {
    if (socket.writable) socket.end();
  };
  response.once('close', () => destroyAfter(socket, graceMs));
}
