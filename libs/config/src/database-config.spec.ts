import { ConfigError, loadConfig } from '@app/config';

describe('database limits (DB_STATEMENT_TIMEOUT, DB_POOL_TIMEOUT, WORKER_DB_STATEMENT_TIMEOUT)', () => {
  it('default to 5 s and 2 s for the API, 60 s for the worker', () => {
    expect(loadConfig({}).databaseTimeouts).toEqual({
      api: { statementMs: 5_000, poolMs: 2_000 },
      worker: { statementMs: 60_000, poolMs: 60_000 },
    });
  });

  it('take durations', () => {
    const config = loadConfig({
      DB_STATEMENT_TIMEOUT: '1500ms',
      DB_POOL_TIMEOUT: '1s',
      WORKER_DB_STATEMENT_TIMEOUT: '5m',
    });
    expect(config.databaseTimeouts).toEqual({
      api: { statementMs: 1_500, poolMs: 1_000 },
      worker: { statementMs: 300_000, poolMs: 300_000 },
    });
  });

  it.each([
    ['DB_STATEMENT_TIMEOUT', 'soon'],
    ['DB_STATEMENT_TIMEOUT', '0'],
    ['DB_POOL_TIMEOUT', '50ms'],
    ['DB_POOL_TIMEOUT', '-1s'],
    // Past PostgreSQL's 32-bit milliseconds: every connection would be refused.
    ['WORKER_DB_STATEMENT_TIMEOUT', '30d'],
  ])('refuse %s=%s with one line naming it', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `Invalid configuration: ${name} must be a duration from 100ms to 1d like 5s, got "${value}"`,
    );
  });
});
