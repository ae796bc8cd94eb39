import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig, queueTarget } from '@app/config';
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
 * Per-user fixed windows kept in Redis under `QUEUE_PREFIX:rate-limit:<sub>`, so every API instance
 * counts against the same budget. Redis counts windows in whole seconds, so a window is rounded up
 * to one. While Redis is unreachable each instance falls back to its own in-memory count (the
 * limit then holds per instance) instead of refusing or waiting: the API keeps answering.
 */
@Injectable()
export class RateLimiter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly redis?: Redis | Cluster;
  private readonly limiter?: RateLimiterRedis;
  private readonly limit: number;
  private readonly windowSeconds: number;

  constructor(@Inject(AppConfig) config: AppConfig) {
    this.limit = config.rateLimit?.limit ?? 0;
    this.windowSeconds = Math.max(1, Math.ceil((config.rateLimit?.windowMs ?? 1000) / 1000));
    if (!config.rateLimit) return;
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
      keyPrefix: `${config.queuePrefix}:rate-limit`,
      insuranceLimiter: new RateLimiterMemory(options),
    });
  }

  /**
   * Waits briefly for Redis, so the first requests count in the shared budget rather than in the
   * in-memory insurance (a cluster client takes a moment to learn its slots); never fails start-up.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.redis) await connectWithin(this.redis, 3_000).catch(() => undefined);
  }

  get enabled(): boolean {
    return this.limiter !== undefined;
  }

  async consume(userId: string): Promise<RateLimitDecision> {
    const limiter = this.limiter as RateLimiterRedis;
    const policy = `${this.limit};w=${this.windowSeconds}`;
    const decide = (res: RateLimiterRes, allowed: boolean): RateLimitDecision => ({
      allowed,
      limit: this.limit,
      remaining: Math.max(0, res.remainingPoints),
      windowSeconds: this.windowSeconds,
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
      policy,
    });
    try {
      return decide(await limiter.consume(userId), true);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return decide(rejection, false);
      throw rejection;
    }
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }
}
