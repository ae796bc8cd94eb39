import { HttpException, HttpStatus } from '@nestjs/common';
import { databaseTimeoutOf, databaseUnavailable } from '@app/database';
import { FieldError } from './error-response.dto';

export interface ErrorBody {
  code: number;
  message: string;
  errors?: FieldError[];
}

/** Field errors listed in one answer: an error response is never much bigger than a request. */
export const MAX_LISTED_ERRORS = 20;

/**
 * Thrown by the ValidationPipe's exceptionFactory; carries per-field messages, the first
 * MAX_LISTED_ERRORS of them, and its message says how many more there were.
 */
export class RequestValidationException extends HttpException {
  readonly fieldErrors: FieldError[];

  constructor(fieldErrors: FieldError[]) {
    const listed = fieldErrors.slice(0, MAX_LISTED_ERRORS);
    const more = fieldErrors.length - listed.length;
    const message = listed.map((error) => error.message).join('; ') || 'Invalid request';
    super(more > 0 ? `${message}; and ${more} more` : message, HttpStatus.BAD_REQUEST);
    this.fieldErrors = listed;
  }
}

const FIXED_MESSAGES: Partial<Record<number, string>> = {
  [HttpStatus.UNAUTHORIZED]: 'Access denied',
  [HttpStatus.INTERNAL_SERVER_ERROR]: 'Internal server error',
};

/** Errors raised by body-parser / http-errors carry a status and a `type`. */
interface HttpError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

function fromHttpError(error: HttpError): ErrorBody | undefined {
  const status = error.status ?? error.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 599) return undefined;
  switch (error.type) {
    case 'entity.parse.failed':
      return { code: 400, message: 'Malformed JSON in request body' };
    case 'entity.too.large':
      return { code: 413, message: 'Request body is larger than 100 KiB' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { code: 415, message: 'Unsupported content encoding or charset' };
    case 'request.aborted':
      return { code: 400, message: 'Request aborted' };
    default:
      return status >= 500 ? undefined : { code: status, message: 'Bad request' };
  }
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/** Maps anything thrown to the `{code, message}` shape; unknown errors become a bare 500. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof RequestValidationException) {
    return { code: 400, message: messageOf(exception), errors: exception.fieldErrors };
  }
  // A database limit (statement, lock wait, pooled connection): retryable, never a 500.
  if (databaseTimeoutOf(exception)) return { code: 503, message: 'Database busy, try again later' };
  if (databaseUnavailable(exception)) return { code: 503, message: 'Database unavailable, try again later' };
  if (exception instanceof HttpException) {
    const code = exception.getStatus();
    return { code, message: FIXED_MESSAGES[code] ?? messageOf(exception) };
  }
  if (exception !== null && typeof exception === 'object') {
    const body = fromHttpError(exception);
    if (body) return body;
  }
  return { code: 500, message: 'Internal server error' };
}
