/*
 * The record of a response that is not HTTP/1.1 as a client can use it (README → Delivery): one
 * fixed text per kind of fault, whatever the HTTP client's own error says (its texts and asserts
 * change between versions and are no message for a webhook's owner).
 */

export const INVALID_RESPONSE_PREFIX = 'invalid response: ';

/** The most response head (status line and headers) read; undici's `maxHeaderSize` too. */
export const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;

export const INVALID_RESPONSE = {
  statusLine: `${INVALID_RESPONSE_PREFIX}malformed status line`,
  switchingProtocols: `${INVALID_RESPONSE_PREFIX}101 Switching Protocols without an upgrade request`,
  headers: `${INVALID_RESPONSE_PREFIX}malformed headers`,
  headersTooLarge: `${INVALID_RESPONSE_PREFIX}headers over ${MAX_RESPONSE_HEAD_BYTES / 1024} KiB`,
  chunked: `${INVALID_RESPONSE_PREFIX}malformed chunked body`,
  contentLength: `${INVALID_RESPONSE_PREFIX}body does not match content-length`,
  other: `${INVALID_RESPONSE_PREFIX}not valid HTTP/1.1`,
} as const;

/** `invalid response: status 000`: a status code outside 100–599, as its three digits were sent. */
export function invalidStatusText(statusCode: number): string {
  return `${INVALID_RESPONSE_PREFIX}status ${String(statusCode).padStart(3, '0')}`;
}

/** Whether a recorded error says the receiver answered with something that is no usable HTTP. */
export function isInvalidResponse(error: string | null | undefined): boolean {
  return error?.startsWith(INVALID_RESPONSE_PREFIX) === true;
}

/**
 * The fault in a final response's status code: 101 (a POST never asks for an upgrade) or a code
 * outside 100–599. Other 1xx are interim responses, skipped before the final one.
 */
export function finalStatusProblem(statusCode: number): string | undefined {
  if (statusCode === 101) return INVALID_RESPONSE.switchingProtocols;
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return invalidStatusText(statusCode);
  }
  return undefined;
}

/** Code of the errors the response guard destroys a socket with; their message is the record text. */
export const INVALID_RESPONSE_CODE = 'EINVALIDRESPONSE';

export function invalidResponseError(text: string): NodeJS.ErrnoException {
  return Object.assign(new Error(text), { code: INVALID_RESPONSE_CODE });
}

interface ErrorFields {
  message: string;
  name?: string;
  code?: string;
}

// llhttp's reasons (in HTTPParserError's message), by the part of the response they are about.
const PARSER_REASONS: ReadonlyArray<[RegExp, string]> = [
  [/chunk/i, INVALID_RESPONSE.chunked],
  [/header|content-length|transfer-encoding/i, INVALID_RESPONSE.headers],
  [/HTTP\/|version|status|response line|start line|expected dot/i, INVALID_RESPONSE.statusLine],
];

/**
 * The record text of an HTTP client error caused by what the receiver sent, or undefined for
 * other errors (connection, DNS, timeout), which keep their own words.
 */
export function invalidResponseText(error: ErrorFields): string | undefined {
  const { code, message } = error;
  if (code === INVALID_RESPONSE_CODE) return message;
  if (code === 'UND_ERR_HEADERS_OVERFLOW') return INVALID_RESPONSE.headersTooLarge;
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') return INVALID_RESPONSE.contentLength;
  // undici checks its parser state with assert(): only a response it did not expect breaks one.
  if (code === 'ERR_ASSERTION') return INVALID_RESPONSE.other;
  if (code === 'UND_ERR_SOCKET') {
    if (message === 'bad upgrade') return INVALID_RESPONSE.switchingProtocols;
    if (message === 'bad response') return INVALID_RESPONSE.other;
    return undefined;
  }
  if (error.name === 'HTTPParserError' || code?.startsWith('HPE_')) {
    const reason = /\(([^)]*)\)\s*$/.exec(message)?.[1] ?? '';
    return PARSER_REASONS.find(([pattern]) => pattern.test(reason))?.[1] ?? INVALID_RESPONSE.other;
  }
  return undefined;
}
