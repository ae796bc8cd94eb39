import { createPublicKey } from 'node:crypto';
import { AppConfig, DEVELOPMENT_NOTICES, DevelopmentNotice, RateLimitConfig } from './app-config';
import { databasePoolSize, parseDatabaseTimeouts, parseDatabaseUrl } from './database-config';
import { parseDuration } from './duration';
import { ConfigError, Env, EnvReader } from './env-reader';
import { parsePortalConfig } from './portal-config';

export { ConfigError } from './env-reader';

/** The Auth-API's token endpoint in the API reference; Swagger UI's password flow posts there. */
export const DEFAULT_AUTH_TOKEN_URL = 'https://auth-api.apitree.com/oauth2/token';

/** pino's levels: anything else makes pino throw at start-up, far from the variable's name. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Used only outside production when no JWT key is configured; never accepted in production. */
export const DEVELOPMENT_JWT_SECRET = 'event-api-development-secret-do-not-use-in-production';

/**
 * BullMQ's scripts touch several keys of a queue at once, and a Redis Cluster runs a script only
 * if all its keys are in one slot: so on a cluster the prefix must carry a hash tag, `{event-api}`.
 */
function parseQueueTarget(reader: EnvReader): { queuePrefix: string; redisCluster: boolean } {
  const queuePrefix = reader.string('QUEUE_PREFIX', 'bull');
  const redisCluster = reader.boolean('REDIS_CLUSTER', false);
  if (redisCluster && !/^[^{]*\{[^}]+\}/.test(queuePrefix)) {
    throw new ConfigError(
      'QUEUE_PREFIX',
      `must contain a hash tag such as {event-api} when REDIS_CLUSTER=true (every key of a queue must share one slot), got "${queuePrefix}"`,
    );
  }
  return { queuePrefix, redisCluster };
}

/** `N/window` (`100/10s`), or `0` for no limit. */
function parseWindowLimit(reader: EnvReader, name: string, fallback: string): RateLimitConfig | null {
  const text = reader.string(name, fallback);
  if (text === '0') return null;
  const match = /^(\d+)\/(.+)$/.exec(text);
  const windowMs = match ? parseDuration(match[2]) : undefined;
  const limit = match ? Number(match[1]) : 0;
  if (!match || windowMs === undefined || windowMs < 1 || limit < 1) {
    throw new ConfigError(name, `must look like ${fallback} (count/window) or be 0, got "${text}"`);
  }
  return { limit, windowMs };
}

function parseEncryptionKey(reader: EnvReader): Buffer | undefined {
  const text = reader.raw('SECRETS_ENCRYPTION_KEY');
  if (text === undefined) return undefined;
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw new ConfigError(
      'SECRETS_ENCRYPTION_KEY',
      'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
    );
  }
  return key;
}

/** Earlier keys, still accepted for reading while `npm run secrets:reencrypt` moves rows to the current one. */
function parseDecryptionKeys(reader: EnvReader): Buffer[] {
  const text = reader.raw('SECRETS_DECRYPTION_KEYS');
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((part) => {
    const key = Buffer.from(part.trim(), 'base64');
    if (key.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(part.trim())) {
      throw new ConfigError(
        'SECRETS_DECRYPTION_KEYS',
        'must be a comma-separated list of 32-byte base64 keys',
      );
    }
    return key;
  });
}

function parseJwt(reader: EnvReader, production: boolean): AppConfig['jwt'] {
  const secret = reader.raw('JWT_SECRET');
  const publicKey = reader.raw('JWT_PUBLIC_KEY')?.replace(/\\n/g, '\n');
  const jwksUri = reader.url('JWT_JWKS_URI', undefined, ['https:', 'http:']);
  if (publicKey !== undefined) {
    try {
      // Only what the strategy can pin (RS256 or ES256); any other key would fail every token.
      const key = createPublicKey(publicKey);
      const ec256 = key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
      if (key.asymmetricKeyType !== 'rsa' && !ec256) throw new Error('unsupported key type');
    } catch {
      throw new ConfigError('JWT_PUBLIC_KEY', 'must be a PEM-encoded RSA or EC P-256 public key');
    }
  }
  const configured = [secret, publicKey, jwksUri].filter((value) => value !== undefined).length;
  if (configured > 1) {
    throw new ConfigError(
      'JWT_SECRET',
      'conflicts: set only one of JWT_SECRET, JWT_PUBLIC_KEY, JWT_JWKS_URI',
    );
  }
  if (configured === 0 && production) {
    throw new ConfigError('JWT_SECRET', 'is required in production (or JWT_PUBLIC_KEY / JWT_JWKS_URI)');
  }
  return {
    secret: configured === 0 ? DEVELOPMENT_JWT_SECRET : secret,
    publicKey,
    jwksUri,
    issuer: reader.raw('JWT_ISSUER'),
    audience: reader.raw('JWT_AUDIENCE'),
    usingDevelopmentSecret: configured === 0,
  };
}

/**
 * The development launchers (`npm start`, `npm run demo`) set DEVELOPMENT_LAUNCH to the notices they
 * have stated in their own line (`jwt,apiId,appendonly`, or fewer): the process demotes those only. A
 * production process never runs with it, so its warnings about them are never quietened.
 */
function parseDevelopmentLaunch(reader: EnvReader, production: boolean): DevelopmentNotice[] {
  const text = reader.raw('DEVELOPMENT_LAUNCH');
  if (text === undefined) return [];
  const notices: DevelopmentNotice[] = [];
  for (const part of text.split(',').map((item) => item.trim())) {
    const notice = DEVELOPMENT_NOTICES.find((known) => known.toLowerCase() === part.toLowerCase());
    if (notice === undefined) {
      throw new ConfigError(
        'DEVELOPMENT_LAUNCH',
        `must list the notices a launcher stated, of ${DEVELOPMENT_NOTICES.join(', ')} (comma-separated), got "${text}"`,
      );
    }
    if (!notices.includes(notice)) notices.push(notice);
  }
  if (production) {
    throw new ConfigError(
      'DEVELOPMENT_LAUNCH',
      'is for the development launchers (npm start, npm run demo), not with NODE_ENV=production',
    );
  }
  return notices;
}

/**
 * Without a Core-API nobody can tell whether a caller may see an API, so subscribing to an API's
 * events by its id is an explicit choice in production (README → API → Entitlements).
 */
function parseApiIdCheck(reader: EnvReader, production: boolean): 'core-api' | 'unchecked' | 'refused' {
  const unchecked = reader.boolean('ALLOW_UNCHECKED_API_IDS', !production);
  if (reader.raw('CORE_API_URL') !== undefined) return 'core-api';
  return unchecked ? 'unchecked' : 'refused';
}

const MIN_METRICS_TOKEN_LENGTH = 16;

/** Where and to whom /metrics answers (README → Operations → Metrics and alerts). */
function parseMetricsAccess(reader: EnvReader): { metricsPort?: number; metricsToken?: string } {
  const metricsPort =
    reader.raw('METRICS_PORT') === undefined ? undefined : reader.integer('METRICS_PORT', 0, 0, 65535);
  const port = reader.integer('PORT', 3000, 0, 65535);
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === port) {
    throw new ConfigError('METRICS_PORT', `must differ from PORT (${port})`);
  }
  const metricsToken = reader.raw('METRICS_TOKEN');
  if (
    metricsToken !== undefined &&
    (metricsToken.length < MIN_METRICS_TOKEN_LENGTH || /\s/.test(metricsToken))
  ) {
    throw new ConfigError(
      'METRICS_TOKEN',
      `must be at least ${MIN_METRICS_TOKEN_LENGTH} characters without spaces (e.g. openssl rand -hex 32)`,
    );
  }
  return { metricsPort, metricsToken };
}

/**
 * Reads and validates every variable (README → Configuration); throws ConfigError naming the first bad one.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const reader = new EnvReader(env);
  const nodeEnv = reader.string('NODE_ENV', 'development');
  const production = nodeEnv === 'production';
  const concurrency = reader.integer('DELIVERY_CONCURRENCY', 50, 1, 10_000);
  const config: AppConfig = {
    nodeEnv,
    production,
    port: reader.integer('PORT', 3000, 0, 65535),
    host: reader.string('HOST', '0.0.0.0'),
    workerPort: reader.integer('WORKER_PORT', 3001, 0, 65535),
    ...parseMetricsAccess(reader),
    databaseUrl: parseDatabaseUrl(reader),
    dbMigrateOnStart: reader.boolean('DB_MIGRATE_ON_START', true),
    databasePoolSize: databasePoolSize(concurrency),
    databaseTimeouts: parseDatabaseTimeouts(reader),
    redisUrl: reader.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']) as string,
    ...parseQueueTarget(reader),
    jwt: parseJwt(reader, production),
    webhookLimitPerUser: reader.integer('WEBHOOK_LIMIT_PER_USER', 30, 1, 100_000),
    delivery: {
      timeoutMs: reader.duration('DELIVERY_TIMEOUT', '15s'),
      retryScheduleMs: reader.durationList('DELIVERY_RETRY_SCHEDULE', '5s,5m,30m,2h,5h,10h,10h'),
      unprovenRetryWindowMs: reader.duration('DELIVERY_UNPROVEN_RETRY_WINDOW', '1h', 0),
      concurrency,
      endpointConcurrency: reader.integer('DELIVERY_ENDPOINT_CONCURRENCY', 10, 1, 10_000),
      circuitThreshold: reader.integer('DELIVERY_CIRCUIT_THRESHOLD', 5, 1, 1_000),
      circuitCooldownMs: reader.duration('DELIVERY_CIRCUIT_COOLDOWN', '30s', 100),
      allowPrivateNetworks: reader.boolean('DELIVERY_ALLOW_PRIVATE_NETWORKS', false),
      requireHttps: reader.boolean('DELIVERY_REQUIRE_HTTPS', false),
      sweepIntervalMs: reader.duration('DELIVERY_SWEEP_INTERVAL', '10s', 100),
      proxyUrl: reader.url('DELIVERY_PROXY', undefined, ['http:']),
    },
    webhookDisableAfterMs: reader.duration('WEBHOOK_DISABLE_AFTER', '5d'),
    deliveryLogRetentionMs: reader.duration('DELIVERY_LOG_RETENTION', '30d'),
    secretRotationOverlapMs: reader.duration('SECRET_ROTATION_OVERLAP', '24h', 0),
    secretsEncryptionKey: parseEncryptionKey(reader),
    secretsDecryptionKeys: parseDecryptionKeys(reader),
    rateLimit: parseWindowLimit(reader, 'RATE_LIMIT', '100/10s'),
    actionDeliveryLimit: parseWindowLimit(reader, 'ACTION_DELIVERY_LIMIT', '300/1m'),
    coreApiUrl: reader.url('CORE_API_URL', undefined, ['http:', 'https:'])?.replace(/\/+$/, ''),
    apiIdCheck: parseApiIdCheck(reader, production),
    authTokenUrl: reader.url('AUTH_API_TOKEN_URL', DEFAULT_AUTH_TOKEN_URL, ['https:', 'http:']) as string,
    logLevel: reader.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    developmentLaunch: parseDevelopmentLaunch(reader, production),
    portal: parsePortalConfig(reader),
  };
  return Object.assign(new AppConfig(), config);
}

/**
 * For main.ts: loads the config or prints the one-line reason and exits, so a bad value never
 * surfaces as a stack trace.
 */
export function loadConfigOrExit(env: Env = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
