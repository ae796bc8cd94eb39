import type { PortalConfig } from './portal-config';

export interface JwtConfig {
  /** HS256 shared secret. */
  readonly secret?: string;
  /** PEM public key (RS256 or ES256, pinned from the key type). */
  readonly publicKey?: string;
  readonly jwksUri?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** True when no key was configured and the fixed development secret is in use. */
  readonly usingDevelopmentSecret: boolean;
}

export interface DeliveryConfig {
  readonly timeoutMs: number;
  /** Delays before attempts 2, 3, …; the first attempt is immediate. */
  readonly retryScheduleMs: readonly number[];
  /** Until an endpoint has succeeded once, only retries within this of a delivery's first attempt. */
  readonly unprovenRetryWindowMs: number;
  readonly concurrency: number;
  /** In-flight attempts to one webhook per worker process (fair delivery). */
  readonly endpointConcurrency: number;
  /** Consecutive timeouts or refused connections that pause an endpoint (circuit open). */
  readonly circuitThreshold: number;
  /** First pause of an endpoint; each failed probe doubles it, up to 16 times this. */
  readonly circuitCooldownMs: number;
  readonly allowPrivateNetworks: boolean;
  /** DELIVERY_REQUIRE_HTTPS: `http://` URLs refused at create/update and never connected to. */
  readonly requireHttps: boolean;
  /** How often the sweeper re-enqueues due deliveries whose job was lost. */
  readonly sweepIntervalMs: number;
  /** DELIVERY_PROXY: every delivery goes through this forward proxy (CONNECT). */
  readonly proxyUrl?: string;
}

/** Limits on one process's pooled connections (README → Configuration). */
export interface DatabaseTimeouts {
  /** `statement_timeout` of every pooled connection; waiting for a lock counts. */
  readonly statementMs: number;
  /** Longest wait for a pooled connection: an idle one, or a new one being connected. */
  readonly poolMs: number;
}

export interface RateLimitConfig {
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * The development defaults a process has a notice of, by the name DEVELOPMENT_LAUNCH lists them:
 * the fixed JWT secret (`jwt`), `apiId` not checked (`apiId`), Redis without AOF (`appendonly`).
 */
export const DEVELOPMENT_NOTICES = ['jwt', 'apiId', 'appendonly'] as const;
export type DevelopmentNotice = (typeof DEVELOPMENT_NOTICES)[number];

/**
 * The whole configuration, parsed and validated once at start-up (see `loadConfig`).
 * Injected by class token; nothing else reads `process.env`.
 */
export class AppConfig {
  readonly nodeEnv!: string;
  readonly production!: boolean;
  readonly port!: number;
  readonly host!: string;
  readonly workerPort!: number;
  /** METRICS_PORT: the API serves /metrics on this listener only (not on PORT). */
  readonly metricsPort?: number;
  /** METRICS_TOKEN: scrapes of /metrics (API and worker) must send it as a bearer token. */
  readonly metricsToken?: string;
  readonly databaseUrl!: string;
  readonly dbMigrateOnStart!: boolean;
  /** SQL pool size per process, derived from DELIVERY_CONCURRENCY (see databasePoolSize). */
  readonly databasePoolSize!: number;
  /** DB_STATEMENT_TIMEOUT / DB_POOL_TIMEOUT for the API, WORKER_DB_STATEMENT_TIMEOUT for the worker. */
  readonly databaseTimeouts!: { readonly api: DatabaseTimeouts; readonly worker: DatabaseTimeouts };
  readonly redisUrl!: string;
  readonly queuePrefix!: string;
  /** REDIS_URL names one node of a Redis Cluster; QUEUE_PREFIX then holds a hash tag. */
  readonly redisCluster!: boolean;
  readonly jwt!: JwtConfig;
  readonly webhookLimitPerUser!: number;
  readonly delivery!: DeliveryConfig;
  readonly webhookDisableAfterMs!: number;
  readonly deliveryLogRetentionMs!: number;
  readonly secretRotationOverlapMs!: number;
  readonly secretsEncryptionKey?: Buffer;
  /** Previous encryption keys, for reading only (key rotation). */
  readonly secretsDecryptionKeys!: readonly Buffer[];
  /** null when `RATE_LIMIT=0`. */
  readonly rateLimit!: RateLimitConfig | null;
  /** Deliveries one user's own actions (lifecycle events, pings, redeliveries) may cause per window; null: no bound. */
  readonly actionDeliveryLimit!: RateLimitConfig | null;
  readonly coreApiUrl?: string;
  /** AUTH_API_TOKEN_URL: the Auth-API's OAuth2 token endpoint (password flow), shown in the OpenAPI document. */
  readonly authTokenUrl!: string;
  /**
   * How a webhook's `apiId` is authorized: by the Core-API (CORE_API_URL), not at all
   * (ALLOW_UNCHECKED_API_IDS, the default outside production), or not accepted (production without either).
   */
  readonly apiIdCheck!: 'core-api' | 'unchecked' | 'refused';
  readonly logLevel!: string;
  /**
   * DEVELOPMENT_LAUNCH: the notices a development launcher (`npm start`, `npm run demo`) has stated
   * in its own line (README → Quick start); the process logs those, and only those, at debug. Empty
   * when started directly.
   */
  readonly developmentLaunch!: readonly DevelopmentNotice[];
  /** PORTAL_FRAME_ANCESTORS, PORTAL_SESSION_TTL, PUBLIC_BASE_URL (README → Portal). */
  readonly portal!: PortalConfig;
}

/** Where the queues live, in the shape Redis clients, queues and publishers of libs/queue take. */
export function queueTarget(config: AppConfig): { redisUrl: string; prefix: string; cluster: boolean } {
  return { redisUrl: config.redisUrl, prefix: config.queuePrefix, cluster: config.redisCluster };
}

/**
 * A URL a person can open for a listener on `host`: a wildcard address (the default 0.0.0.0)
 * accepts local connections, so it is shown as localhost.
 */
export function listenUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return `http://localhost:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
