import { applyDecorators } from '@nestjs/common';
import {
  ApiInternalServerErrorResponse,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ErrorResponse } from './error-response.dto';

/** Also part of the description of a route that documents a 503 of its own. */
export const DATABASE_BUSY =
  'The database did not answer within DB_STATEMENT_TIMEOUT, or no connection to it was free within DB_POOL_TIMEOUT; retry after Retry-After seconds';

/** What a request body can be refused for: only on the routes that take one (POST and PUT /webhooks). */
export const ApiBodyErrors = () =>
  applyDecorators(
    ApiPayloadTooLargeResponse({
      description: 'Request body over 100 KiB',
      type: ErrorResponse,
      example: { code: 413, message: 'Request body is larger than 100 KiB' },
    }),
    ApiUnsupportedMediaTypeResponse({
      description: 'Request body is not application/json',
      type: ErrorResponse,
      example: { code: 415, message: 'Request body must be application/json' },
    }),
  );

/** Errors any authenticated endpoint can answer, documented once. */
export const ApiCommonErrors = () =>
  applyDecorators(
    ApiTooManyRequestsResponse({
      description: 'Rate limit exceeded (RATE_LIMIT); see Retry-After',
      type: ErrorResponse,
      example: { code: 429, message: 'Rate limit exceeded: at most 100 requests per 10 s; retry in 7 s' },
    }),
    ApiInternalServerErrorResponse({
      description: 'Unexpected error (never with internals)',
      type: ErrorResponse,
      example: { code: 500, message: 'Internal server error' },
    }),
  );

/** Routes that read or write PostgreSQL (class level: a route's own 503 takes its place). */
export const ApiDatabaseBusy = () =>
  ApiServiceUnavailableResponse({
    description: DATABASE_BUSY,
    type: ErrorResponse,
    example: { code: 503, message: 'Database busy, try again later' },
  });
