import { INVALID_RESPONSE } from './response-errors';
import { ResponseHeadGuard, statusCodeAt } from './response-guard';

const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const HINTS =
  'HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\nlink: </app.js>; rel=preload\r\n\r\n';

/** Feeds `text` in pieces of `size` bytes; what passed, and the first error. */
function feed(text: string, size = text.length, guard = new ResponseHeadGuard()) {
  const bytes = Buffer.from(text, 'latin1');
  const passed: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    const step = guard.receive(bytes.subarray(offset, offset + size));
    if (step.error !== undefined)
      return { passed: Buffer.concat(passed).toString('latin1'), error: step.error };
    if (step.pass) passed.push(step.pass);
  }
  const rest = guard.end();
  if (rest) passed.push(rest);
  return { passed: Buffer.concat(passed).toString('latin1'), error: undefined };
}

describe('ResponseHeadGuard', () => {
  it.each([
    ['a 100 Continue', CONTINUE],
    ['several interim responses', `HTTP/1.1 102 Processing\r\n\r\n${HINTS}${CONTINUE}${CONTINUE}`],
    ['a 103 with headers', HINTS],
    ['a 1xx without a reason phrase', 'HTTP/1.1 100\r\n\r\n'],
    ['a 199', 'HTTP/1.0 199 Whatever\r\nx: y\r\n\r\n'],
  ])('drops %s and passes the final response, however the bytes are split', (_name, interim) => {
    for (const size of [1, 2, 3, 7, 13, 64, 10_000]) {
      expect(feed(interim + OK, size)).toEqual({ passed: OK, error: undefined });
    }
  });

  it('passes a final response and what follows it untouched, until the next request', () => {
    const guard = new ResponseHeadGuard();
    expect(feed(OK + CONTINUE, 5, guard).passed).toBe(OK + CONTINUE);
    guard.requestSent();
    expect(feed(CONTINUE + OK, 5, guard).passed).toBe(OK);
  });

  it.each([
    ['status 000', 'HTTP/1.1 000 Zero\r\n\r\n', 'invalid response: status 000'],
    ['status 099', 'HTTP/1.1 099 X\r\n\r\n', 'invalid response: status 099'],
    ['status 600', 'HTTP/1.1 600 X\r\n\r\n', 'invalid response: status 600'],
    ['status 999', 'HTTP/1.1 999\r\n\r\n', 'invalid response: status 999'],
    [
      'a 101',
      'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n',
      INVALID_RESPONSE.switchingProtocols,
    ],
    [
      'a 101 after a 100',
      `${CONTINUE}HTTP/1.1 101 Switching Protocols\r\n\r\n`,
      INVALID_RESPONSE.switchingProtocols,
    ],
    ['an interim head in bare LFs', `HTTP/1.1 100 Continue\nx: y\n\n${OK}`, INVALID_RESPONSE.headers],
    ['a bare LF in an interim header', `HTTP/1.1 103 X\r\nx: y\n\r\n${OK}`, INVALID_RESPONSE.headers],
    [
      'an interim head over 16 KiB',
      `HTTP/1.1 103 X\r\nx: ${'a'.repeat(17 * 1024)}\r\n\r\n${OK}`,
      INVALID_RESPONSE.headersTooLarge,
    ],
  ])('refuses %s', (_name, text, error) => {
    for (const size of [1, 5, 100_000]) {
      expect(feed(text, size)).toEqual({ passed: '', error });
    }
  });

  it.each([
    'hello there\r\n\r\n',
    'HTTP/1.1 abc\r\n\r\n',
    'HTTP/1.1 99 X\r\n\r\n',
    'HTTP/1.1 1000 X\r\n\r\n',
    'HTTP/2 200\r\n\r\n',
    'ok',
  ])('leaves %j to the HTTP client, byte for byte', (text) => {
    expect(feed(text, 1)).toEqual({ passed: text, error: undefined });
  });

  it('hands back a partial interim head at the end of the stream', () => {
    expect(feed('HTTP/1.1 100 Cont', 4)).toEqual({ passed: 'HTTP/1.1 100 Cont', error: undefined });
    expect(feed(CONTINUE)).toEqual({ passed: '', error: undefined });
  });
});

describe('statusCodeAt', () => {
  it.each([
    ['HTTP/1.1 200 OK', 200],
    ['HTTP/1.0 404\r\n', 404],
    ['HTTP/1.1 000 ', 0],
    ['HTTP/1.1 20', 'more'],
    ['', 'more'],
    ['HTTP/1.2 200 OK', 'other'],
    ['HTTP/1.1 2000', 'other'],
    ['http/1.1 200 OK', 'other'],
    ['HTTP/1.1 20x OK', 'other'],
  ])('%j → %p', (text, expected) => {
    expect(statusCodeAt(Buffer.from(text))).toBe(expected);
  });
});
