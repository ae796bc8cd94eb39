import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig, queueTarget, RateLimitConfig } from '@app/config';
import { connectWithin, createRedisClient, FAIL_FAST } from '@app/queue';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  windowSeconds: number;
  /** Seconds until the window resets (and, when refused, until a retry can succeed). */
  resetSeconds: number;
  /** RFC draft `RateLimit-Policy`: `100;w=10`. */
  policy: string;
}

/**
 * Per-user fixed windows kept in Redis under `QUEUE_PREFIX:<name>:<sub>`, so every API instance
 * counts against the same budget. Redis counts windows in whole seconds, so a window is rounded up
 * to one. While Redis is unreachable each instance falls back to its own in-memory count (the
 * limit then holds per instance) instead of refusing or waiting: the API keeps answering.
 */
export class WindowBudget implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly redis?: Redis | Cluster;
  private readonly limiter?: RateLimiterRedis;
  readonly limit: number;
  readonly windowSeconds: number;

  constructor(config: AppConfig, budget: RateLimitConfig | null, name: string) {
    this.limit = budget?.limit ?? 0;
    this.windowSeconds = Math.max(1, Math.ceil((budget?.windowMs ?? 1000) / 1000));
    if (!budget) return;
    this.redis = createRedisClient(
      queueTarget(config),
      // While Redis is away the in-memory insurance answers instead.
      { ...FAIL_FAST, lazyConnect: true },
    );
    this.redis.on('error', () => undefined);
    const options = { points: this.limit, duration: this.windowSeconds };
    this.limiter = new RateLimiterRedis({
      ...options,
      storeClient: this.redis,
      keyPrefix: `${config.queuePrefix}:${name}`,
      insuranceLimiter: new RateLimiterMemory(options),
    });
  }

  get enabled(): boolean {
    return this.limiter !== undefined;
  }

  /**
   * Waits briefly for Redis, so the first requests count in the shared budget rather than in the
   * in-memory insurance (a cluster client takes a moment to learn its slots); never fails start-up.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.redis) await connectWithin(this.redis, 3_000).catch(() => undefined);
  }

  /** Counts `points` in `key`'s window; refused past the limit (refused points count too, until the window ends). */
  async consume(key: string, points = 1): Promise<RateLimitDecision> {
    const limiter = this.limiter as RateLimiterRedis;
    try {
      return this.decide(await limiter.consume(key, points), true);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return this.decide(rejection, false);
      throw rejection;
    }
  }

  /** What is left of `key`'s window, counting nothing. */
  async remaining(key: string): Promise<RateLimitDecision> {
    const limiter = this.limiter as RateLimiterRedis;
    const res = await limiter.get(key);
    if (res) return this.decide(res, res.remainingPoints > 0);
    return this.decide(new RateLimiterRes(this.limit, this.windowSeconds * 1000, 0), true);
  }

  /** Adds `points` to `key`'s window without ever refusing (what must happen anyway still counts). */
  async add(key: string, points: number): Promise<void> {
    await this.limiter?.penalty(key, points);
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }

  private decide(res: RateLimiterRes, allowed: boolean): RateLimitDecision {
    return {
      allowed,
      limit: this.limit,
      remaining: Math.max(0, res.remainingPoints),
      windowSeconds: this.windowSeconds,
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
      policy: `${this.limit};w=${this.windowSeconds}`,
    };
  }
}
