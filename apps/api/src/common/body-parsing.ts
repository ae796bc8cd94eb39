import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { carriesBody, leaveBodyUnread } from '@app/http';
import { ErrorBody, RequestValidationException, toErrorBody } from './error-body';
import { findHostileInput } from './hostile-input';

export const MAX_BODY_BYTES = 100 * 1024;
const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * The operations that take a request body, as the router matches them (any case, an optional trailing
 * slash), also under `/portal/api` before the portal rewrites its path. Every other request's body is
 * never read (README → API → Requests and limits). The OpenAPI document's operations with a
 * `requestBody` are exactly these (openapi-contract test).
 */
export const BODY_ROUTES: ReadonlyArray<{ method: string; path: string }> = [
  { method: 'POST', path: '/webhooks' },
  { method: 'PUT', path: '/webhooks/{id}' },
  { method: 'POST', path: '/webhooks/{id}/recover' },
];

const BODY_ROUTE_PATTERNS = BODY_ROUTES.map(({ method, path }) => ({
  method,
  pattern: new RegExp(`^(?:/portal/api)?${path.replace(/\{\w+\}/g, '[^/]+')}/?$`, 'i'),
}));

export function takesBody(request: Pick<Request, 'method' | 'path'>): boolean {
  return BODY_ROUTE_PATTERNS.some(
    ({ method, pattern }) => request.method === method && pattern.test(request.path),
  );
}

/** A JSON body that failed to be read, with the `type` body-parser would give it (toErrorBody maps it). */
function bodyError(status: number, type: string): Error {
  return Object.assign(new Error(type), { status, type });
}

/** `utf-8` (any case) or no charset: JSON exchanged between systems is UTF-8 (RFC 8259 §8.1). */
function isUtf8(request: Request): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(request.headers['content-type'] ?? '')?.[1];
  return charset === undefined || /^utf-?8$/i.test(charset);
}

/**
 * Reads the body up to MAX_BODY_BYTES. Past the limit the reading stops at once: the rest is left
 * unread (the 413 closes the connection), so a client cannot make the API read more than that.
 */
function readBody(request: Request, response: Response, graceMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const done = (error?: Error) => {
      request.off('data', onData).off('end', onEnd).off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, received));
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      leaveBodyUnread(request, response, graceMs);
      done(bodyError(413, 'entity.too.large'));
    };
    const onEnd = () => done();
    const onClose = () => done(bodyError(400, 'request.aborted'));
    request.on('data', onData).on('end', onEnd).on('close', onClose);
    // Asked for only now, after authentication and the checks of the headers (createHardenedServer).
    if (/^100-continue$/i.test(request.headers.expect ?? '')) response.writeContinue();
  });
}

/** JSON.parse with body-parser's `strict`: the top level must be an object or an array. */
function parseJson(bytes: Buffer): unknown {
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  if (text.length === 0) return {};
  if (!/^[\s]*[{[]/.test(text)) throw bodyError(400, 'entity.parse.failed');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw bodyError(400, 'entity.parse.failed');
  }
}

function answer(response: Response, body: ErrorBody): void {
  if (!response.headersSent) response.status(body.code).json(body);
}

/**
 * The body of an operation that takes one (BODY_ROUTES), once the request is authenticated
 * (authenticateBeforeBody): JSON only (415), a declared length over 100 KiB refused from the headers
 * alone and a longer stream cut off at the limit (413, the connection closed without reading the
 * rest), malformed JSON 400. Any refusal before the end of the body leaves the rest unread.
 */
function parseJsonBody(graceMs: number) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (!carriesBody(request) || !takesBody(request)) {
      next();
      return;
    }
    const refuse = (body: ErrorBody) => {
      leaveBodyUnread(request, response, graceMs);
      answer(response, body);
    };
    if (!request.is(JSON_TYPES)) {
      refuse({ code: 415, message: 'Request body must be application/json' });
      return;
    }
    const encoding = request.headers['content-encoding'];
    if ((encoding !== undefined && !/^identity$/i.test(encoding)) || !isUtf8(request)) {
      refuse(toErrorBody(bodyError(415, 'encoding.unsupported')));
      return;
    }
    if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      refuse(toErrorBody(bodyError(413, 'entity.too.large')));
      return;
    }
    readBody(request, response, graceMs)
      .then((bytes) => {
        request.body = parseJson(bytes);
        next();
      })
      .catch((error: unknown) => answer(response, toErrorBody(error)));
  };
}

/** Query strings and parsed bodies, before any validator walks them (see findHostileInput). */
function refuseHostileInput(request: Request, response: Response, next: NextFunction): void {
  const problem = findHostileInput(request.query) ?? findHostileInput(request.body);
  if (problem) {
    answer(response, toErrorBody(new RequestValidationException([problem])));
    return;
  }
  next();
}

/**
 * Body parsing lives in front of Nest's router, so its errors (malformed JSON, too large) are
 * shaped here with the same mapping the global filter uses.
 */
export function configureBodyParsing(app: INestApplication, graceMs: number): void {
  app.use(parseJsonBody(graceMs));
  app.use(refuseHostileInput);
  // An error of the middleware before (the portal's session lookup, say): a body not read by then never is.
  app.use((error: unknown, request: Request, response: Response, next: NextFunction) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    if (!request.complete) leaveBodyUnread(request, response, graceMs);
    answer(response, toErrorBody(error));
  });
}

/**
 * First of all: a request that carries a body to anything but BODY_ROUTES is answered as it would
 * be without one (its route's status, 404 for an unknown route or method), its body never read and
 * its connection closed after the answer (README → API → Requests and limits).
 */
export function leaveOtherBodiesUnread(graceMs: number) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (carriesBody(request) && !takesBody(request)) leaveBodyUnread(request, response, graceMs);
    next();
  };
}
