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
 * What error text echoes of the input (a field or header name, a value) is cut to this many characters,
 * then `…`: any run of text without a space or a dot longer than this (no name of ours is that long).
 */
export const MAX_ECHOED_CHARS = 64;
/** A listed field error's `field` (a path of such names). */
export const MAX_FIELD_CHARS = 128;
/** One listed field error's message. */
const MAX_FIELD_MESSAGE_CHARS = 200;
/** The top-level message, before `; and N more`. */
export const MAX_MESSAGE_CHARS = 1_000;
/** A whole error answer, as JSON: whatever the input, listed errors are left off until it fits. */
export const MAX_ERROR_BYTES = 8 * 1024;

/** The first `max` characters of `text` (never half of a surrogate pair) and `…`, or `text` if it is no longer. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]) ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

const ECHOED_RUN = new RegExp(`[^\\s.]{${MAX_ECHOED_CHARS + 1},}`, 'g');

/**
 * Error text as answered (README → API → Requests and limits): every run without a space or a dot
 * longer than MAX_ECHOED_CHARS (only input is that long) cut with `…`, the whole at most `max`
 * characters.
 */
export function clipEchoes(text: string, max = MAX_MESSAGE_CHARS): string {
  return cut(
    text.replace(ECHOED_RUN, (run) => cut(run, MAX_ECHOED_CHARS)),
    max,
  );
}

function summary(listed: readonly FieldError[], total: number): string {
  const message = clipEchoes(listed.map((error) => error.message).join('; ') || 'Invalid request');
  const more = total - listed.length;
  return more > 0 ? `${message}; and ${more} more` : message;
}

/**
 * Thrown by the ValidationPipe's exceptionFactory; carries per-field messages, the first
 * MAX_LISTED_ERRORS of them with their echoes of the input clipped (clipEchoes), fewer when they would
 * not fit in MAX_ERROR_BYTES; its message says how many more there were.
 */
export class RequestValidationException extends HttpException {
  readonly fieldErrors: FieldError[];

  constructor(fieldErrors: FieldError[]) {
    let listed = fieldErrors.slice(0, MAX_LISTED_ERRORS).map((error) => ({
      field: clipEchoes(error.field, MAX_FIELD_CHARS),
      message: clipEchoes(error.message, MAX_FIELD_MESSAGE_CHARS),
    }));
    let message = summary(listed, fieldErrors.length);
    const size = () => Buffer.byteLength(JSON.stringify({ code: 400, message, errors: listed }));
    while (listed.length > 1 && size() > MAX_ERROR_BYTES) {
      listed = listed.slice(0, -1);
      message = summary(listed, fieldErrors.length);
    }
    super(message, HttpStatus.BAD_REQUEST);
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
    // `Cannot POST /<the path as sent>` and the like: what echoes input is clipped here too.
    return { code, message: FIXED_MESSAGES[code] ?? clipEchoes(messageOf(exception)) };
  }
  if (exception !== null && typeof exception === 'object') {
    const body = fromHttpError(exception);
    if (body) return body;
  }
  return { code: 500, message: 'Internal server error' };
}
