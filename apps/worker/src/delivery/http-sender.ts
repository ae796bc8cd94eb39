import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { Agent, buildConnector, Dispatcher, Pool, ProxyAgent, request } from 'undici';
import {
  BLOCKED_INSECURE_URL,
  BLOCKED_PRIVATE_ADDRESS,
  blockedRange,
  parseAddress,
  Resolver,
} from '@app/netguard';
import { finalStatusProblem, invalidResponseText, MAX_RESPONSE_HEAD_BYTES } from './response-errors';
import { guardedConnector } from './response-guard';
import { parseRetryAfter, RETRY_AFTER_STATUSES } from './retry-after';

export interface SendResult {
  statusCode: number | null;
  response: string;
  error: string | null;
  retryAfterMs?: number;
  durationMs: number;
}

export interface HttpSenderOptions {
  timeoutMs: number;
  allowPrivateNetworks: boolean;
  /** DELIVERY_REQUIRE_HTTPS: never connect to an `http://` URL. */
  requireHttps?: boolean;
  connectionsPerOrigin?: number;
  /** `http://host:port` of a forward proxy every delivery goes through (DELIVERY_PROXY). */
  proxyUrl?: string;
}

/** At most 64 KiB of a response is read; the delivery record keeps the first 1 KiB (README → Delivery). */
const MAX_RESPONSE_BYTES = 64 * 1024;
export const MAX_RECORDED_RESPONSE = 1024;

/** undici's own timers; ours fires first, but if one of these wins it is still a timeout. */
const UNDICI_TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const noop = (): void => undefined;

const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

function blockedError(): NodeJS.ErrnoException {
  return Object.assign(new Error(BLOCKED_PRIVATE_ADDRESS), { code: 'EBLOCKED' });
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
}

/**
 * A `lookup` for net/tls.connect that resolves every address of a name and refuses the name whole
 * if any answer is not public; otherwise it hands back exactly the addresses it checked, so the
 * socket cannot connect anywhere else (no DNS-rebinding window). Literal IPs never reach a lookup:
 * HttpSender checks those itself.
 */
export function guardedLookup(resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    const wantAll = typeof options === 'object' && options !== null && options.all === true;
    const rawFamily: unknown = typeof options === 'object' && options !== null ? options.family : options;
    const family =
      rawFamily === 4 || rawFamily === 'IPv4' ? 4 : rawFamily === 6 || rawFamily === 'IPv6' ? 6 : 0;
    resolve(hostname.replace(/\.$/, '')).then(
      (answers) => {
        const checked: LookupAddress[] = [];
        for (const answer of answers) {
          const address = parseAddress(answer);
          if (address === undefined) continue;
          if (blockedRange(address) !== null) return callback(blockedError(), wantAll ? [] : '');
          checked.push({ address: address.toString(), family: address.kind() === 'ipv6' ? 6 : 4 });
        }
        const usable = family === 0 ? checked : checked.filter((entry) => entry.family === family);
        if (usable.length === 0) return callback(notFound(hostname), wantAll ? [] : '');
        // Node's contract: an array with `all: true`, else one address and its family.
        if (wantAll) return callback(null, usable);
        callback(null, usable[0].address, usable[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, wantAll ? [] : ''),
    );
  };
}

interface ErrorLike {
  message: string;
  name?: string;
  code?: string;
  cause?: unknown;
  errors?: unknown[];
}

/** Duck-typed: errors from Node internals fail `instanceof Error` across realms (Jest, vm). */
function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && typeof (value as ErrorLike).message === 'string';
}

/**
 * `connect ECONNREFUSED 127.0.0.1:9` as Node words it; `invalid response: …` for what the receiver
 * sent (response-errors.ts); otherwise `CODE: message`.
 */
export function describeError(error: unknown): string {
  const seen = new Set<unknown>();
  for (let current: unknown = error; isErrorLike(current) && !seen.has(current); current = current.cause) {
    seen.add(current);
    if (current.message === BLOCKED_PRIVATE_ADDRESS) return BLOCKED_PRIVATE_ADDRESS;
  }
  if (!isErrorLike(error)) return `Error: ${String(error)}`;
  const invalid = invalidResponseText(error);
  if (invalid !== undefined) return invalid;
  // Happy Eyeballs (autoSelectFamily) reports every failed address in one AggregateError.
  if (!error.message && Array.isArray(error.errors) && isErrorLike(error.errors[0])) {
    return describeError(error.errors[0]);
  }
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code && error.message.includes(code)) return error.message;
  return `${code ?? error.name ?? 'Error'}: ${error.message}`;
}

/** Reads at most MAX_RESPONSE_BYTES; beyond that the body (and with it the socket) is destroyed. */
async function readCapped(body: Readable): Promise<Buffer> {
  // Destroying an unfinished undici body emits RequestAbortedError; nobody else listens for it.
  body.on('error', noop);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = MAX_RESPONSE_BYTES - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      body.destroy();
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  if (body.readableEnded) {
    // undici frees the connection a macrotask after the body ends; returning before that makes
    // the pool open a second socket for the caller's next send to the same origin.
    await nextMacrotask();
  }
  return Buffer.concat(chunks);
}

function recorded(bytes: Buffer): string {
  // Decode only what can matter: 1024 characters are at most 4 KiB of UTF-8.
  let text = bytes.subarray(0, MAX_RECORDED_RESPONSE * 4).toString('utf8');
  if (text.length <= MAX_RECORDED_RESPONSE) return text;
  text = text.slice(0, MAX_RECORDED_RESPONSE);
  return /[\ud800-\udbff]$/.test(text) ? text.slice(0, -1) : text;
}

/**
 * The outbound HTTP client for deliveries: one keep-alive pool per origin, a hard deadline from
 * connect to last byte, no redirects, a capped response, and the SSRF guard (README → Security).
 * send() never throws: every failure is a SendResult with statusCode null.
 */
export class HttpSender {
  private readonly agent: Dispatcher;
  private readonly lookup: LookupFunction;

  constructor(
    private readonly options: HttpSenderOptions,
    resolve?: Resolver,
  ) {
    this.lookup = guardedLookup(resolve);
    const common = {
      connections: options.connectionsPerOrigin ?? 50,
      pipelining: 1,
      // Backstops only: the AbortController deadline in send() is the one that counts.
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      maxHeaderSize: MAX_RESPONSE_HEAD_BYTES,
    };
    this.agent = options.proxyUrl
      ? // Through the proxy (CONNECT): it resolves the name itself, so send() checks the target first.
        new ProxyAgent({
          ...common,
          uri: options.proxyUrl,
          proxyTunnel: true,
          // Each target origin's pool gets its tunnels (`connect`) through the response guard too.
          factory: (origin: string | URL, poolOptions: object) => {
            const { connect } = poolOptions as { connect: buildConnector.connector };
            return new Pool(origin, { ...poolOptions, connect: guardedConnector(connect) });
          },
        })
      : new Agent({
          ...common,
          // net.connect/tls.connect get `lookup`, so every new socket goes through the SSRF guard,
          // and its responses through the response guard (response-guard.ts).
          connect: guardedConnector(
            buildConnector({
              timeout: options.timeoutMs,
              ...(options.allowPrivateNetworks ? {} : { lookup: this.lookup }),
            }),
          ),
        });
  }

  async send(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const started = performance.now();
    const { timeoutMs } = this.options;
    const timeoutText = `timeout after ${timeoutMs} ms`;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(timeoutText));
    }, timeoutMs);
    const failure = (error: string): SendResult => ({
      statusCode: null,
      response: error,
      error,
      durationMs: Math.round(performance.now() - started),
    });

    try {
      if (this.options.requireHttps && !/^https:/i.test(url)) return failure(BLOCKED_INSECURE_URL);
      if (!this.options.allowPrivateNetworks && this.isBlockedLiteral(url)) {
        return failure(BLOCKED_PRIVATE_ADDRESS);
      }
      if (this.options.proxyUrl && !this.options.allowPrivateNetworks) await this.checkName(url);
      const res = await request(url, {
        dispatcher: this.agent,
        method: 'POST',
        body,
        headers,
        signal: controller.signal,
      });
      // The response guard refuses these before undici parses them; should one get past it,
      // undici itself would hand over a 600–999 as if it were a status.
      const statusProblem = finalStatusProblem(res.statusCode);
      if (statusProblem !== undefined) {
        res.body.on('error', noop).destroy();
        return failure(statusProblem);
      }
      const bytes = await readCapped(res.body);
      const retryAfterHeader = res.headers['retry-after'];
      const retryAfterMs = RETRY_AFTER_STATUSES.has(res.statusCode)
        ? parseRetryAfter(
            Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader,
            Date.now(),
          )
        : undefined;
      return {
        statusCode: res.statusCode,
        response: recorded(bytes),
        error: null,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        durationMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      // A failure after the status line (reset, deadline mid-body) is a failed attempt too:
      // a 2xx whose body never arrived within the deadline is not a success (README → Delivery).
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      return failure(
        timedOut || (code && UNDICI_TIMEOUT_CODES.has(code)) ? timeoutText : describeError(error),
      );
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /**
   * With a proxy no socket of ours reaches the target, so its name is resolved and checked here,
   * every answer (the proxy resolves it again: run a filtering one, see README → Security).
   */
  private checkName(url: string): Promise<void> {
    const { hostname } = new URL(url);
    if (parseAddress(hostname) !== undefined) return Promise.resolve();
    return new Promise((resolve, reject) =>
      this.lookup(hostname.replace(/^\[|\]$/g, ''), { all: true }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }

  /** A lookup hook never sees IP literals (`http://2130706433/`, `[::ffff:7f00:1]`): classify them here. */
  private isBlockedLiteral(url: string): boolean {
    const address = parseAddress(new URL(url).hostname);
    return address !== undefined && blockedRange(address) !== null;
  }
}
