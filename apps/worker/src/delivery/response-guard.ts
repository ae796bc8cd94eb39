import type { Socket } from 'node:net';
import type { buildConnector } from 'undici';
import {
  finalStatusProblem,
  INVALID_RESPONSE,
  invalidResponseError,
  MAX_RESPONSE_HEAD_BYTES,
} from './response-errors';

/*
 * RFC 9110 §15.2: a client must accept any number of interim (1xx) responses before the final
 * one, even unasked for. undici destroys the socket on a `100 Continue` ("bad response"), and a
 * status code under 100 trips an assert() inside it. So the bytes of each response's head pass
 * through this guard before undici parses them: interim responses are dropped, and a final status
 * that no client can use (101 to a POST, outside 100–599) ends the attempt with a fixed text.
 */

const EMPTY = Buffer.alloc(0);
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const HTTP_1 = Buffer.from('HTTP/1.');
/** `HTTP/1.x ddd` and the space or CR after it. */
const STATUS_PREFIX_LENGTH = 13;

const isDigit = (byte: number): boolean => byte >= DIGIT_0 && byte <= DIGIT_0 + 9;

/**
 * The status code of the status line `data` begins with; `more` while the bytes so far could
 * still begin one; `other` for anything else (undici's parser then reports it).
 */
export function statusCodeAt(data: Buffer): number | 'more' | 'other' {
  const length = Math.min(data.length, STATUS_PREFIX_LENGTH);
  for (let i = 0; i < length; i += 1) {
    const byte = data[i];
    const fits =
      i < HTTP_1.length
        ? byte === HTTP_1[i]
        : i === 7
          ? byte === DIGIT_0 || byte === DIGIT_1
          : i === 8
            ? byte === SP
            : i < 12
              ? isDigit(byte)
              : byte === SP || byte === CR;
    if (!fits) return 'other';
  }
  if (data.length < STATUS_PREFIX_LENGTH) return 'more';
  return Number(data.toString('latin1', 9, 12));
}

export interface GuardStep {
  /** Bytes for the HTTP client. */
  pass?: Buffer;
  /** The response is unusable: the attempt ends with this text. */
  error?: string;
}

/**
 * The byte filter, one per socket. With one request in flight per socket (`pipelining: 1`), a
 * response starts where a request was sent: there the guard holds bytes back until it knows the
 * status line, drops every complete interim head, and from the final response on passes
 * everything until the next request.
 */
export class ResponseHeadGuard {
  private atResponseStart = true;
  private pending: Buffer = EMPTY;
  /** How far `pending` was searched for the end of an interim head. */
  private scanned = 0;

  requestSent(): void {
    this.atResponseStart = true;
  }

  receive(chunk: Buffer): GuardStep {
    if (!this.atResponseStart) return { pass: chunk };
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = EMPTY;
    for (;;) {
      const status = statusCodeAt(data);
      if (status === 'more') return this.hold(data);
      const problem = status === 'other' ? undefined : finalStatusProblem(status);
      if (problem !== undefined) return { error: problem };
      if (status === 'other' || status >= 200) {
        this.atResponseStart = false;
        return { pass: data };
      }
      const end = this.interimEnd(data);
      if (end === 'malformed') return { error: INVALID_RESPONSE.headers };
      if ((end ?? data.length) > MAX_RESPONSE_HEAD_BYTES) return { error: INVALID_RESPONSE.headersTooLarge };
      if (end === undefined) return this.hold(data);
      this.scanned = 0;
      data = data.subarray(end);
      if (data.length === 0) return {};
    }
  }

  /** At end of stream: what was held back, for the client to judge. */
  end(): Buffer | undefined {
    const rest = this.pending;
    this.pending = EMPTY;
    return rest.length > 0 ? rest : undefined;
  }

  private hold(data: Buffer): GuardStep {
    this.pending = data;
    return {};
  }

  /** Offset just past the interim head's blank line; every line must end in CRLF, as undici requires. */
  private interimEnd(data: Buffer): number | 'malformed' | undefined {
    for (let i = Math.max(this.scanned, STATUS_PREFIX_LENGTH); i < data.length; i += 1) {
      if (data[i] !== LF) continue;
      if (data[i - 1] !== CR) return 'malformed';
      if (data[i - 2] === LF && data[i - 3] === CR) return i + 1;
    }
    this.scanned = data.length;
    return undefined;
  }
}

/**
 * Puts a ResponseHeadGuard between a socket and undici: Node hands every chunk read from the
 * connection to `push`, and undici sends each request with `write`.
 */
export function guardResponses<S extends Socket>(socket: S): S {
  const guard = new ResponseHeadGuard();
  const push = socket.push.bind(socket);
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  const guardedPush = (chunk: Buffer | string | null, encoding?: BufferEncoding): boolean => {
    if (chunk === null) {
      const rest = guard.end();
      if (rest !== undefined) push(rest);
      return push(null);
    }
    const step = guard.receive(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
    if (step.error !== undefined) {
      socket.destroy(invalidResponseError(step.error));
      return false;
    }
    return step.pass === undefined ? true : push(step.pass);
  };
  // Bytes read before undici has the socket (a tunnel's first bytes can come with the proxy's
  // answer) would be parsed with no request in flight, which undici answers by reconnecting, over
  // and over. They are handed over once the first request is written, as on a direct connection.
  let early = socket.readableLength > 0 ? (socket.read() as Buffer | null) : null;
  socket.write = (...args: unknown[]) => {
    guard.requestSent();
    const written = write(...args);
    if (early !== null) {
      const bytes = early;
      early = null;
      process.nextTick(() => guardedPush(bytes));
    }
    return written;
  };
  socket.push = guardedPush;
  return socket;
}

/** A connector whose sockets are guarded (for undici's `connect` option). */
export function guardedConnector(connect: buildConnector.connector): buildConnector.connector {
  return (options, callback) =>
    connect(options, (error, socket) => {
      if (error !== null) return callback(error, null);
      callback(null, guardResponses(socket));
    });
}
