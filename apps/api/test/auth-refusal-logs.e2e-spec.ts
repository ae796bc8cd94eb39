import {
  builtEntry,
  freePort,
  mintToken,
  startProcess,
  TEST_JWT_SECRET,
  unsignedToken,
  waitForOutput,
} from '@app/testing';

const AUDIENCE = 'event-api';
const ISSUER = 'https://auth.example.com/';
const GOOD = { aud: AUDIENCE, iss: ISSUER };

/** [case, token (undefined: no Authorization header), method, reason expected in the debug line] */
const REFUSALS: Array<[string, string | undefined, 'GET' | 'POST', string]> = [
  ['no-token', undefined, 'GET', 'no bearer token'],
  ['malformed', 'not.a-jwt', 'GET', 'malformed token'],
  ['expired', mintToken(GOOD, { expiresIn: -120 }), 'GET', 'expired at 20'],
  ['expired-body', mintToken(GOOD, { expiresIn: -120 }), 'POST', 'expired at 20'],
  [
    'wrong-key',
    mintToken(GOOD, { key: 'another-secret-0123456789abcdef0123456789' }),
    'GET',
    'bad signature (signed with another key than the one configured)',
  ],
  [
    'wrong-audience',
    mintToken({ ...GOOD, aud: 'billing-api' }),
    'GET',
    'wrong audience (aud does not match JWT_AUDIENCE)',
  ],
  [
    'wrong-issuer',
    mintToken({ ...GOOD, iss: 'https://evil.example.com/' }),
    'GET',
    'wrong issuer (iss does not match JWT_ISSUER)',
  ],
  ['no-sub', mintToken({ ...GOOD, sub: undefined }), 'GET', 'no sub claim'],
  ['crit', mintToken(GOOD, { header: { alg: 'HS256', crit: ['exp'] } }), 'GET', 'crit header'],
  ['alg-none', unsignedToken({ ...GOOD, sub: 'attacker' }), 'GET', 'unsigned token (alg none)'],
];

describe('Refused tokens: the reason at debug level, never the token (e2e, built API)', () => {
  it('logs one debug line per refusal with its reason and request id, and no token text', async () => {
    const port = String(await freePort());
    const api = startProcess(builtEntry('api'), {
      JWT_SECRET: TEST_JWT_SECRET,
      JWT_AUDIENCE: AUDIENCE,
      JWT_ISSUER: ISSUER,
      DATABASE_URL: process.env.EVENT_API_TEST_DATABASE_URL as string,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: process.env.EVENT_API_TEST_QUEUE_PREFIX as string,
      RATE_LIMIT: '0',
      LOG_LEVEL: 'debug',
      HOST: '127.0.0.1',
      PORT: port,
    });
    try {
      await waitForOutput(api, /Event-API listening/);
      for (const [name, token, method] of REFUSALS) {
        const response = await fetch(`http://127.0.0.1:${port}/webhooks`, {
          method,
          headers: {
            'x-request-id': `refusal-${name}`,
            'content-type': 'application/json',
            ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
          },
          body: method === 'POST' ? JSON.stringify({ url: 'https://example.com/' }) : undefined,
        });
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({ code: 401, message: 'Access denied' });
      }
      await waitForOutput(api, /request refusal-alg-none\)/);

      const lines = api
        .output()
        .split('\n')
        .filter((line) => line.includes('Token refused'))
        .map((line) => JSON.parse(line) as { level: number; context: string; msg: string });
      for (const [name, , method, reason] of REFUSALS) {
        const mine = lines.filter((line) => line.msg.endsWith(`request refusal-${name})`));
        expect(mine).toHaveLength(1);
        expect(mine[0]).toMatchObject({ level: 20, context: 'Auth' });
        expect(mine[0].msg).toContain(`Token refused: ${reason}`);
        expect(mine[0].msg).toContain(`(${method} /webhooks, request refusal-${name})`);
      }
      const output = api.output();
      for (const [, token] of REFUSALS) {
        if (token === undefined) continue;
        for (const part of token.split('.').filter((piece) => piece.length >= 8)) {
          expect(output).not.toContain(part);
        }
      }
    } finally {
      api.child.kill('SIGKILL');
      await api.exited;
    }
  });
});
