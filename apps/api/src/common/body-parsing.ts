import type { INestApplication } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { toErrorBody } from './error-body';
import { findHostileInput } from './hostile-input';

const MAX_BODY_BYTES = 100 * 1024;
const JSON_TYPES = ['application/json', 'application/*+json'];

export function carriesBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Request bodies are JSON only: anything else that carries a body is refused with 415. */
function requireJson(request: Request, response: Response, next: NextFunction): void {
  if (carriesBody(request) && !request.is(JSON_TYPES)) {
    response.status(415).json({ code: 415, message: 'Request body must be application/json' });
    return;
  }
  next();
}

/** Query strings and parsed bodies, before any validator walks them (see findHostileInput). */
function refuseHostileInput(request: Request, response: Response, next: NextFunction): void {
  const problem = findHostileInput(request.query) ?? findHostileInput(request.body);
  if (problem) {
    response.status(400).json({ code: 400, message: problem.message, errors: [problem] });
    return;
  }
  next();
}

/**
 * Body parsing lives in front of Nest's router, so its errors (malformed JSON, too large) are
 * shaped here with the same mapping the global filter uses.
 */
export function configureBodyParsing(app: INestApplication): void {
  app.use(requireJson);
  app.use(express.json({ limit: MAX_BODY_BYTES, strict: true, type: JSON_TYPES }));
  app.use(refuseHostileInput);
  app.use((error: unknown, request: Request, response: Response, next: NextFunction) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const body = toErrorBody(error);
    // A body refused before it was read to its end (413) is not drained: the connection closes.
    if (!request.complete) response.setHeader('Connection', 'close');
    response.status(body.code).json(body);
  });
}
