import { AssertionError } from 'node:assert';
import { errors } from 'undici';
import {
  finalStatusProblem,
  INVALID_RESPONSE,
  invalidResponseError,
  invalidResponseText,
  isInvalidResponse,
} from './response-errors';

const parserError = (reason: string) =>
  new errors.HTTPParserError(`Response does not match the HTTP/1.1 protocol (${reason})`);

describe('invalidResponseText', () => {
  it.each([
    [parserError('Expected HTTP/, RTSP/ or ICE/'), INVALID_RESPONSE.statusLine],
    [parserError('Expected dot'), INVALID_RESPONSE.statusLine],
    [parserError('Invalid status code'), INVALID_RESPONSE.statusLine],
    [parserError('Invalid response status'), INVALID_RESPONSE.statusLine],
    [parserError('Missing expected CR after response line'), INVALID_RESPONSE.statusLine],
    [parserError('Invalid major version'), INVALID_RESPONSE.statusLine],
    [parserError('Invalid header value char'), INVALID_RESPONSE.headers],
    [parserError('Invalid header token'), INVALID_RESPONSE.headers],
    [parserError('Missing expected CR after header value'), INVALID_RESPONSE.headers],
    [parserError('Duplicate Content-Length'), INVALID_RESPONSE.headers],
    [parserError("Transfer-Encoding can't be present with Content-Length"), INVALID_RESPONSE.headers],
    [parserError('Invalid character in chunk size'), INVALID_RESPONSE.chunked],
    [parserError('Expected LF after chunk data'), INVALID_RESPONSE.chunked],
    [parserError('Data after `Connection: close`'), INVALID_RESPONSE.other],
    [new errors.HTTPParserError(), INVALID_RESPONSE.other],
    [new errors.HeadersOverflowError(), INVALID_RESPONSE.headersTooLarge],
    [new errors.ResponseContentLengthMismatchError(), INVALID_RESPONSE.contentLength],
    [new errors.SocketError('bad upgrade'), INVALID_RESPONSE.switchingProtocols],
    [new errors.SocketError('bad response'), INVALID_RESPONSE.other],
    [new AssertionError({ message: 'assert(statusCode >= 100)' }), INVALID_RESPONSE.other],
    [invalidResponseError('invalid response: status 000'), 'invalid response: status 000'],
  ])('maps %p to %j', (error, text) => {
    expect(invalidResponseText(error)).toBe(text);
    expect(isInvalidResponse(text)).toBe(true);
  });

  it.each([
    new errors.SocketError('other side closed'),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    new errors.HeadersTimeoutError(),
    new TypeError('Invalid URL'),
  ])('leaves %p to the connection errors', (error) => {
    expect(invalidResponseText(error)).toBeUndefined();
  });
});

describe('finalStatusProblem', () => {
  it.each([
    [0, 'invalid response: status 000'],
    [99, 'invalid response: status 099'],
    [600, 'invalid response: status 600'],
    [999, 'invalid response: status 999'],
    [101, 'invalid response: 101 Switching Protocols without an upgrade request'],
  ])('refuses %i', (status, text) => {
    expect(finalStatusProblem(status)).toBe(text);
  });

  it.each([100, 103, 199, 200, 302, 410, 599])('accepts %i', (status) => {
    expect(finalStatusProblem(status)).toBeUndefined();
  });
});

describe('isInvalidResponse', () => {
  it.each([
    null,
    undefined,
    'timeout after 15000 ms',
    'blocked: private address',
    'UND_ERR_SOCKET: other side closed',
  ])('is false for %p', (error) => expect(isInvalidResponse(error)).toBe(false));
});
