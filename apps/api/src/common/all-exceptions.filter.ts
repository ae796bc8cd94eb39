import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppConfig } from '@app/config';
import { databaseTimeoutOf, databaseUnavailable } from '@app/database';
import { toErrorBody } from './error-body';

const TIMEOUT_LOG: Record<NonNullable<ReturnType<typeof databaseTimeoutOf>>, string> = {
  statement: 'statement timeout',
  lock: 'lock timeout',
  pool: 'no pooled connection within DB_POOL_TIMEOUT',
};

/** The one place errors become responses: `{code, message}`, never a stack trace or SQL. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');
  /**
   * After one statement timeout every statement that held a connection has finished or been
   * cancelled, so the pool has turned over: the earliest a retry has a fresh chance.
   */
  private readonly retryAfterSeconds: number;

  constructor(config: AppConfig) {
    this.retryAfterSeconds = Math.max(1, Math.ceil(config.databaseTimeouts.api.statementMs / 1000));
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = toErrorBody(exception);
    const timeout = databaseTimeoutOf(exception);
    if (timeout) {
      // A locked or overloaded database, not a fault of ours or the caller's: one line, no stack.
      const request = host.switchToHttp().getRequest<Request>();
      const requestId = String(response.getHeader('x-request-id') ?? '-');
      this.logger.warn(
        `Database busy (${TIMEOUT_LOG[timeout]}): ${request.method} ${request.path} answered 503, request ${requestId}`,
      );
      if (!response.headersSent) response.setHeader('Retry-After', String(this.retryAfterSeconds));
    } else if (databaseUnavailable(exception)) {
      // PostgreSQL restarting, failing over or refusing connections: one line, no stack.
      this.logger.warn(`Database unavailable: ${(exception as Error).message}; answered 503`);
      if (!response.headersSent) response.setHeader('Retry-After', '1');
    } else if (body.code >= 500) {
      this.logger.error(
        exception instanceof Error ? exception.message : 'Non-error thrown',
        exception instanceof Error ? exception.stack : undefined,
      );
    }
    if (response.headersSent) return;
    const retryAfter = (exception as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') response.setHeader('Retry-After', String(retryAfter));
    response.status(body.code).json(body);
  }
}
