import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

/** One JSON line per request, with a correlation id; never headers (tokens) or bodies (secrets). */
export function requestLogger(logger: Logger) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const incoming = request.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    response.setHeader('x-request-id', requestId);
    response.on('finish', () => {
      const user = (request as Request & { user?: { id?: string } }).user;
      logger.info(
        {
          requestId,
          method: request.method,
          // As asked: the portal API's requests are routed under a rewritten path. Never the query (tokens).
          path: request.originalUrl.split('?')[0],
          status: response.statusCode,
          durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n),
          userId: user?.id,
        },
        'request',
      );
    });
    next();
  };
}
