import { applyDecorators } from '@nestjs/common';
import {
  ApiInternalServerErrorResponse,
  ApiPayloadTooLargeResponse,
  ApiTooManyRequestsResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ErrorResponse } from './error-response.dto';

/** Errors any authenticated endpoint can answer, documented once. */
export const ApiCommonErrors = () =>
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
