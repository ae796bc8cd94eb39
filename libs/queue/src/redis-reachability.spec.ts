import { redisConnectionProblem } from './redis-reachability';

describe('redisConnectionProblem: one line with where, why and what to change', () => {
  it('names Redis, the URL with its password masked, the error and the fix', () => {
    const line = redisConnectionProblem(
      'rediss://default:hunter2-secret@cache.internal:6380/2',
      'connect ECONNREFUSED 10.0.0.6:6380',
    );
    expect(line).toBe(
      'Cannot reach Redis at rediss://default:••••@cache.internal:6380/2 (REDIS_URL): connect ECONNREFUSED 10.0.0.6:6380. Start Redis there, or set REDIS_URL to where it runs',
    );
  });

  it('does not double the full stop of an error that ends with one', () => {
    expect(redisConnectionProblem('redis://127.0.0.1:1', 'Connection is closed.')).toContain(
      'Connection is closed. Start Redis there',
    );
  });

  it('points at the credentials when Redis refuses the login', () => {
    expect(
      redisConnectionProblem(
        'redis://:hunter2-secret@127.0.0.1:6379',
        'WRONGPASS invalid username-password pair or user is disabled.',
      ),
    ).toBe(
      'Redis at redis://:••••@127.0.0.1:6379 (REDIS_URL) refused the login: WRONGPASS invalid username-password pair or user is disabled. Check the user name and password in REDIS_URL',
    );
  });
});
