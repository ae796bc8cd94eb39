import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { toErrorBody } from './error-body';

/** The one place errors become responses: `{code, message}`, never a stack trace or SQL. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const body = toErrorBody(exception);
    if (body.code >= 500) {
      this.logger.error(
        exception instanceof Error ? exception.message : 'Non-error thrown',
        exception instanceof Error ? exception.stack : undefined,
      );
    }
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    const retryAfter = (exception as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') response.setHeader('Retry-After', String(retryAfter));
    response.status(body.code).json(body);
  }
}
