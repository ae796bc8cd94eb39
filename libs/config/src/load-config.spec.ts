import { generateKeyPairSync } from 'node:crypto';
import { AppConfig, ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig } from '@app/config';

type Env = Record<string, string | undefined>;

/** Runs loadConfig and returns the ConfigError it must throw. */
function configError(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

function pem(type: 'rsa' | 'ec' | 'ed25519', namedCurve = 'prime256v1'): string {
  const { publicKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve })
        : generateKeyPairSync('ed25519');
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

const RSA_PEM = pem('rsa');
const EC_P256_PEM = pem('ec', 'prime256v1');

describe('loadConfig defaults (README → Configuration)', () => {
  const config = loadConfig({});

  it('returns an AppConfig instance', () => {
    expect(config).toBeInstanceOf(AppConfig);
    expect(config.nodeEnv).toBe('development');
    expect(config.production).toBe(false);
  });

  it('uses the documented addresses', () => {
    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.workerPort).toBe(3001);
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/event_api');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.queuePrefix).toBe('bull');
    expect(config.coreApiUrl).toBeUndefined();
    expect(config.authTokenUrl).toBe('https://auth-api.apitree.com/oauth2/token');
  });

  it('uses the documented limits and durations', () => {
    expect(config.webhookLimitPerUser).toBe(30);
    expect(config.delivery).toEqual({
      timeoutMs: 15_000,
      retryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      unprovenRetryWindowMs: 3_600_000,
      concurrency: 50,
      endpointConcurrency: 10,
      circuitThreshold: 5,
      circuitCooldownMs: 30_000,
      allowPrivateNetworks: false,
      requireHttps: false,
      sweepIntervalMs: 10_000,
    });
    expect(config.delivery.retryScheduleMs).toHaveLength(7);
    expect(config.webhookDisableAfterMs).toBe(5 * 86_400_000);
    expect(config.deliveryLogRetentionMs).toBe(30 * 86_400_000);
    expect(config.secretRotationOverlapMs).toBe(24 * 3_600_000);
    expect(config.rateLimit).toEqual({ limit: 100, windowMs: 10_000 });
    expect(config.dbMigrateOnStart).toBe(true);
    expect(config.secretsEncryptionKey).toBeUndefined();
  });

  it('treats empty and blank values as unset', () => {
    const blank = loadConfig({ PORT: '', DELIVERY_TIMEOUT: '   ', RATE_LIMIT: '', DATABASE_URL: ' ' });
    expect(blank.port).toBe(3000);
    expect(blank.delivery.timeoutMs).toBe(15_000);
    expect(blank.rateLimit).toEqual({ limit: 100, windowMs: 10_000 });
    expect(blank.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/event_api');
  });
});

describe('loadConfig overrides', () => {
  it('reads valid values, trimming whitespace', () => {
    const config = loadConfig({
      PORT: ' 8080 ',
      WORKER_PORT: '9000',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgresql://u@db:5432/x',
      REDIS_URL: 'rediss://cache:6380',
      QUEUE_PREFIX: 'events',
      WEBHOOK_LIMIT_PER_USER: '5',
      DELIVERY_TIMEOUT: '1500',
      DELIVERY_RETRY_SCHEDULE: '1s, 200ms ,2m',
      DELIVERY_UNPROVEN_RETRY_WINDOW: '0',
      DELIVERY_CONCURRENCY: '8',
      DELIVERY_ENDPOINT_CONCURRENCY: '3',
      DELIVERY_CIRCUIT_THRESHOLD: '2',
      DELIVERY_CIRCUIT_COOLDOWN: '500ms',
      DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
      DELIVERY_REQUIRE_HTTPS: 'true',
      WEBHOOK_DISABLE_AFTER: '2h',
      DELIVERY_LOG_RETENTION: '7d',
      SECRET_ROTATION_OVERLAP: '0',
      RATE_LIMIT: '5/1m',
      CORE_API_URL: 'https://core.example.com/v1//',
      AUTH_API_TOKEN_URL: 'http://localhost:4000/oauth2/token',
    });
    expect(config.port).toBe(8080);
    expect(config.workerPort).toBe(9000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.databaseUrl).toBe('postgresql://u@db:5432/x');
    expect(config.redisUrl).toBe('rediss://cache:6380');
    expect(config.queuePrefix).toBe('events');
    expect(config.webhookLimitPerUser).toBe(5);
    expect(config.delivery).toEqual({
      timeoutMs: 1_500,
      retryScheduleMs: [1_000, 200, 120_000],
      unprovenRetryWindowMs: 0,
      concurrency: 8,
      endpointConcurrency: 3,
      circuitThreshold: 2,
      circuitCooldownMs: 500,
      allowPrivateNetworks: true,
      requireHttps: true,
      sweepIntervalMs: 10_000,
    });
    expect(config.webhookDisableAfterMs).toBe(7_200_000);
    expect(config.deliveryLogRetentionMs).toBe(7 * 86_400_000);
    expect(config.secretRotationOverlapMs).toBe(0);
    expect(config.rateLimit).toEqual({ limit: 5, windowMs: 60_000 });
    expect(config.coreApiUrl).toBe('https://core.example.com/v1');
    expect(config.authTokenUrl).toBe('http://localhost:4000/oauth2/token');
  });

  it('turns the rate limit off with RATE_LIMIT=0', () => {
    expect(loadConfig({ RATE_LIMIT: '0' }).rateLimit).toBeNull();
    expect(loadConfig({}).actionDeliveryLimit).toEqual({ limit: 300, windowMs: 60_000 });
    expect(loadConfig({ ACTION_DELIVERY_LIMIT: '20/10s' }).actionDeliveryLimit).toEqual({
      limit: 20,
      windowMs: 10_000,
    });
    expect(loadConfig({ ACTION_DELIVERY_LIMIT: '0' }).actionDeliveryLimit).toBeNull();
  });

  it.each([
    ...['true', 'TRUE', '1', 'yes'].map((text) => [text, true] as const),
    ...['false', 'False', '0', 'no'].map((text) => [text, false] as const),
  ])('reads boolean %j as %s', (text, value) => {
    expect(loadConfig({ DB_MIGRATE_ON_START: text }).dbMigrateOnStart).toBe(value);
    expect(loadConfig({ DELIVERY_ALLOW_PRIVATE_NETWORKS: text }).delivery.allowPrivateNetworks).toBe(value);
  });

  it.each([
    [{}, 'unchecked'],
    [{ NODE_ENV: 'production', JWT_SECRET: 'x' }, 'refused'],
    [{ NODE_ENV: 'production', JWT_SECRET: 'x', ALLOW_UNCHECKED_API_IDS: 'true' }, 'unchecked'],
    [{ ALLOW_UNCHECKED_API_IDS: 'false' }, 'refused'],
    [{ NODE_ENV: 'production', JWT_SECRET: 'x', CORE_API_URL: 'https://core.example.com' }, 'core-api'],
    [{ CORE_API_URL: 'https://core.example.com', ALLOW_UNCHECKED_API_IDS: 'true' }, 'core-api'],
  ])('apiIdCheck for %j is %s', (env, check) => {
    expect(loadConfig(env).apiIdCheck).toBe(check);
  });

  it('reads METRICS_PORT and METRICS_TOKEN, both unset by default', () => {
    expect(loadConfig({})).toMatchObject({ metricsPort: undefined, metricsToken: undefined });
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_TOKEN: '0123456789abcdef' })).toMatchObject({
      metricsPort: 9464,
      metricsToken: '0123456789abcdef',
    });
  });

  it('decodes a 32-byte base64 SECRETS_ENCRYPTION_KEY', () => {
    const key = Buffer.alloc(32, 7);
    const config = loadConfig({ SECRETS_ENCRYPTION_KEY: key.toString('base64') });
    expect(config.secretsEncryptionKey).toEqual(key);
  });
});

const BAD_VALUES: Record<string, string[]> = {
  PORT: ['70000', '-1', '80.5', 'http'],
  WORKER_PORT: ['65536'],
  METRICS_PORT: ['3000', '70000', 'metrics'],
  METRICS_TOKEN: ['short', 'a token with spaces in it'],
  WEBHOOK_LIMIT_PER_USER: ['0'],
  DELIVERY_CONCURRENCY: ['0', 'lots'],
  DELIVERY_TIMEOUT: ['abc', '0', '15 seconds'],
  DELIVERY_RETRY_SCHEDULE: ['5s,,5m', '5s,soon'],
  WEBHOOK_DISABLE_AFTER: ['forever'],
  DELIVERY_LOG_RETENTION: ['-1d'],
  SECRET_ROTATION_OVERLAP: ['1 day'],
  RATE_LIMIT: ['fast', '100', '0/10s', '100/0s', '100/', '100/10x'],
  // 16 and 33 bytes, not base64, and 32 bytes in the URL-safe alphabet
  SECRETS_ENCRYPTION_KEY: [
    Buffer.alloc(16, 1).toString('base64'),
    Buffer.alloc(33, 1).toString('base64'),
    'not base64 at all!',
    Buffer.alloc(32, 0xfb).toString('base64url'),
  ],
  DATABASE_URL: [
    'mysql://x',
    'not a url',
    'postgres://db/x?sslmode=sometimes',
    'postgres://db/x?sslmode=verify-ca',
  ],
  REDIS_URL: ['http://127.0.0.1:6379'],
  CORE_API_URL: ['ftp://core.example.com'],
  AUTH_API_TOKEN_URL: ['/oauth/token', 'ftp://auth.example.com/token'],
  JWT_JWKS_URI: ['jwks.json'],
  DB_MIGRATE_ON_START: ['maybe'],
  DELIVERY_ALLOW_PRIVATE_NETWORKS: ['sometimes'],
  ALLOW_UNCHECKED_API_IDS: ['perhaps'],
  ACTION_DELIVERY_LIMIT: ['lots', '300', '300/never'],
  DELIVERY_REQUIRE_HTTPS: ['only'],
  DELIVERY_UNPROVEN_RETRY_WINDOW: ['an hour', '-1s'],
  LOG_LEVEL: ['verbose', 'warning', '30'],
};

describe('loadConfig rejects bad values with one line naming the variable', () => {
  const cases = Object.entries(BAD_VALUES).flatMap(([variable, values]) =>
    values.map((value) => [variable, value]),
  );
  it.each(cases)('%s=%j', (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(variable);
    expect(error.message).toMatch(/^Invalid configuration: /);
    expect(error.message).not.toContain('\n');
  });

  it('does not echo credentials of a bad URL', () => {
    const wrongScheme = configError({ DATABASE_URL: 'mysql://root:hunter2@db/x' });
    expect(wrongScheme.message).toContain('DATABASE_URL');
    expect(wrongScheme.message).not.toContain('hunter2');
    const unparsable = configError({ DATABASE_URL: 'postgres://root:hunter2@db:port/x' });
    expect(unparsable.message).toContain('DATABASE_URL');
    expect(unparsable.message).not.toContain('hunter2');
  });

  it('lists the pino levels for a LOG_LEVEL pino does not know', () => {
    expect(configError({ LOG_LEVEL: 'verbose' }).message).toBe(
      'Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
    );
  });

  it('accepts every pino level, in any case', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
      expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
    }
    expect(loadConfig({ LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
    expect(loadConfig({}).logLevel).toBe('info');
  });

  it('names the offending variable, not the first one it reads', () => {
    expect(configError({ PORT: '3000', RATE_LIMIT: 'fast' }).message).not.toContain('PORT');
  });
});

describe('loadConfig JWT keys', () => {
  it('falls back to the development secret outside production', () => {
    for (const NODE_ENV of [undefined, 'development', 'test']) {
      const { jwt } = loadConfig({ NODE_ENV });
      expect(jwt.secret).toBe(DEVELOPMENT_JWT_SECRET);
      expect(jwt.usingDevelopmentSecret).toBe(true);
      expect(jwt.publicKey).toBeUndefined();
      expect(jwt.jwksUri).toBeUndefined();
    }
  });

  it('refuses to start in production without a key, naming JWT_SECRET', () => {
    const error = configError({ NODE_ENV: 'production' });
    expect(error.message).toContain('JWT_SECRET');
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: '   ' })).toThrow(ConfigError);
  });

  it('uses a configured JWT_SECRET, also in production', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 's3cret' });
    expect(config.production).toBe(true);
    expect(config.jwt.secret).toBe('s3cret');
    expect(config.jwt.usingDevelopmentSecret).toBe(false);
  });

  it('passes JWT_ISSUER and JWT_AUDIENCE through', () => {
    const { jwt } = loadConfig({ JWT_SECRET: 'k', JWT_ISSUER: 'https://auth', JWT_AUDIENCE: 'event-api' });
    expect(jwt.issuer).toBe('https://auth');
    expect(jwt.audience).toBe('event-api');
    expect(loadConfig({ JWT_SECRET: 'k' }).jwt.issuer).toBeUndefined();
  });

  it.each([
    { JWT_SECRET: 'k', JWT_PUBLIC_KEY: RSA_PEM },
    { JWT_SECRET: 'k', JWT_JWKS_URI: 'https://auth/jwks.json' },
    { JWT_PUBLIC_KEY: RSA_PEM, JWT_JWKS_URI: 'https://auth/jwks.json' },
  ])('refuses two keys at once (%#)', (env) => {
    expect(configError(env).message).toMatch(/JWT_SECRET.*conflicts/);
  });

  it('accepts an RSA public key PEM', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_PUBLIC_KEY: RSA_PEM });
    expect(config.jwt.publicKey).toBe(RSA_PEM.trim());
    expect(config.jwt.secret).toBeUndefined();
    expect(config.jwt.usingDevelopmentSecret).toBe(false);
  });

  it('accepts an EC P-256 public key PEM', () => {
    expect(loadConfig({ JWT_PUBLIC_KEY: EC_P256_PEM }).jwt.publicKey).toBe(EC_P256_PEM.trim());
  });

  it('accepts a PEM written on one line with \\n escapes', () => {
    const oneLine = RSA_PEM.trim().replace(/\n/g, '\\n');
    expect(oneLine).not.toContain('\n');
    expect(loadConfig({ JWT_PUBLIC_KEY: oneLine }).jwt.publicKey).toBe(RSA_PEM.trim());
  });

  it.each([
    ['garbage', 'not a key'],
    ['truncated PEM', RSA_PEM.slice(0, 120)],
    ['Ed25519 key (not RS256/ES256)', pem('ed25519')],
    ['EC P-384 key (not ES256)', pem('ec', 'secp384r1')],
  ])('refuses JWT_PUBLIC_KEY %s, naming JWT_PUBLIC_KEY', (_label, value) => {
    expect(configError({ JWT_PUBLIC_KEY: value }).message).toContain('JWT_PUBLIC_KEY');
  });

  it('accepts an http(s) JWT_JWKS_URI', () => {
    const uri = 'https://auth.example.com/jwks.json';
    const { jwt } = loadConfig({ NODE_ENV: 'production', JWT_JWKS_URI: uri });
    expect(jwt.jwksUri).toBe(uri);
    expect(jwt.secret).toBeUndefined();
    expect(jwt.usingDevelopmentSecret).toBe(false);
  });
});

describe('DATABASE_URL sslmode follows libpq', () => {
  const url = (query: string): string =>
    loadConfig({ DATABASE_URL: `postgresql://u:p@db.example.com:5432/x${query}` }).databaseUrl;

  it.each(['prefer', 'require', 'verify-ca&sslrootcert=/ca.pem'])(
    'sslmode=%s is passed on with uselibpqcompat=true (node-postgres alone would verify the host)',
    (mode) => {
      expect(url(`?sslmode=${mode}`)).toBe(
        `postgresql://u:p@db.example.com:5432/x?sslmode=${mode}&uselibpqcompat=true`,
      );
    },
  );

  it('puts the flag before a fragment, where node-postgres reads it', () => {
    expect(url('?sslmode=require#primary')).toBe(
      'postgresql://u:p@db.example.com:5432/x?sslmode=require&uselibpqcompat=true#primary',
    );
  });

  it.each(['', '?sslmode=verify-full', '?sslmode=disable', '?sslmode=require&uselibpqcompat=false'])(
    'leaves %j as written',
    (query) => {
      expect(url(query)).toBe(`postgresql://u:p@db.example.com:5432/x${query}`);
    },
  );
});

describe('REDIS_CLUSTER', () => {
  it('is off by default', () => {
    expect(loadConfig({}).redisCluster).toBe(false);
  });

  it.each(['{event-api}', 'prod{event-api}', '{event-api}:eu'])(
    'accepts QUEUE_PREFIX=%s on a cluster',
    (prefix) => {
      const config = loadConfig({ REDIS_CLUSTER: 'true', QUEUE_PREFIX: prefix });
      expect(config).toMatchObject({ redisCluster: true, queuePrefix: prefix });
    },
  );

  it.each(['bull', 'event-api', '{}', '{}x{y}'])(
    'refuses QUEUE_PREFIX=%s on a cluster: the queue keys would spread over slots',
    (prefix) => {
      const error = configError({ REDIS_CLUSTER: 'true', QUEUE_PREFIX: prefix });
      expect(error.message).toMatch(/^Invalid configuration: QUEUE_PREFIX .*hash tag/);
    },
  );
});

describe('DEVELOPMENT_LAUNCH (set by npm start and npm run demo)', () => {
  it('is empty by default and lists exactly the notices the launcher stated', () => {
    expect(loadConfig({}).developmentLaunch).toEqual([]);
    expect(loadConfig({ DEVELOPMENT_LAUNCH: 'jwt,apiId,appendonly' }).developmentLaunch).toEqual([
      'jwt',
      'apiId',
      'appendonly',
    ]);
    // A launcher that could not check appendonly does not name it: the worker keeps its warning.
    expect(loadConfig({ DEVELOPMENT_LAUNCH: 'jwt, apiid' }).developmentLaunch).toEqual(['jwt', 'apiId']);
  });

  it('refuses anything else, the old blanket "true" included', () => {
    for (const value of ['true', 'yes please', 'jwt,everything']) {
      expect(configError({ DEVELOPMENT_LAUNCH: value }).message).toBe(
        `Invalid configuration: DEVELOPMENT_LAUNCH must list the notices a launcher stated, of jwt, apiId, appendonly (comma-separated), got "${value}"`,
      );
    }
  });

  it('is refused with NODE_ENV=production, so a deployment never quietens its warnings', () => {
    expect(
      configError({ NODE_ENV: 'production', JWT_SECRET: 'x', DEVELOPMENT_LAUNCH: 'apiId' }).message,
    ).toBe(
      'Invalid configuration: DEVELOPMENT_LAUNCH is for the development launchers (npm start, npm run demo), not with NODE_ENV=production',
    );
  });
});
