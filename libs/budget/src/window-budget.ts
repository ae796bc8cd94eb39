import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import {
  RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
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
 * How long a command to the budget's Redis may take before the in-memory count answers instead
 * (README → API → Rate limits). Callers count inside transactions that hold row locks (the worker's
 * attempt records, the API's delete): a Redis that takes the connection and never answers must not
 * hold those for ever.
 */
export const BUDGET_REDIS_TIMEOUT_MS = 500;

/** After a command timed out, the in-memory count answers at once for this long, without asking Redis. */
export const BUDGET_REDIS_BACKOFF_MS = 5_000;

/** Told each time the in-memory count answered because Redis failed or did not answer in time. */
export type BudgetFallback = (error: Error) => void;

/**
 * Per-user fixed windows kept in Redis under `QUEUE_PREFIX:<name>:<sub>`, so every API instance
 * counts against the same budget. Redis counts windows in whole seconds, so a window is rounded up
 * to one. While Redis is unreachable or does not answer within BUDGET_REDIS_TIMEOUT_MS each instance
 * falls back to its own in-memory count (the limit then holds per instance) instead of refusing or
 * waiting: the API keeps answering, the worker keeps recording.
 */
export class WindowBudget implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly redis?: Redis | Cluster;
  private readonly limiter?: RateLimiterRedis;
  private readonly memory?: RateLimiterMemory;
  /** Until then (after a command timed out) Redis is not asked. */
  private unansweredUntil = 0;
  readonly limit: number;
  readonly windowSeconds: number;

  constructor(
    config: AppConfig,
    budget: RateLimitConfig | null,
    name: string,
    private readonly onFallback?: BudgetFallback,
  ) {
    this.limit = budget?.limit ?? 0;
    this.windowSeconds = Math.max(1, Math.ceil((budget?.windowMs ?? 1000) / 1000));
    if (!budget) return;
    this.redis = createRedisClient(
      queueTarget(config),
      // While Redis is away, or does not answer, the in-memory count answers instead.
      { ...FAIL_FAST, lazyConnect: true, commandTimeout: BUDGET_REDIS_TIMEOUT_MS },
    );
    this.redis.on('error', () => undefined);
    const options = { points: this.limit, duration: this.windowSeconds };
    this.limiter = new RateLimiterRedis({
      ...options,
      storeClient: this.redis,
      keyPrefix: `${config.queuePrefix}:${name}`,
    });
    this.memory = new RateLimiterMemory(options);
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
    try {
      return this.decide(await this.counted((limiter) => limiter.consume(key, points)), true);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return this.decide(rejection, false);
      throw rejection;
    }
  }

  /** What is left of `key`'s window, counting nothing. */
  async remaining(key: string): Promise<RateLimitDecision> {
    const res = await this.counted((limiter) => limiter.get(key));
    if (res) return this.decide(res, res.remainingPoints > 0);
    return this.decide(new RateLimiterRes(this.limit, this.windowSeconds * 1000, 0), true);
  }

  /** Adds `points` to `key`'s window without ever refusing (what must happen anyway still counts). */
  async add(key: string, points: number): Promise<void> {
    if (this.limiter) await this.counted((limiter) => limiter.penalty(key, points));
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }

  /**
   * Runs `operation` on the Redis count, or on this instance's in-memory count when Redis fails, does
   * not answer within BUDGET_REDIS_TIMEOUT_MS, or timed out less than BUDGET_REDIS_BACKOFF_MS ago (so
   * a Redis that hangs costs a caller one timeout, not one per call). A refusal is no failure.
   */
  private async counted<T>(operation: (limiter: RateLimiterAbstract) => Promise<T>): Promise<T> {
    if (Date.now() >= this.unansweredUntil) {
      try {
        return await operation(this.limiter as RateLimiterRedis);
      } catch (error) {
        if (error instanceof RateLimiterRes) throw error;
        if (/timed out/i.test((error as Error).message)) {
          this.unansweredUntil = Date.now() + BUDGET_REDIS_BACKOFF_MS;
        }
        this.onFallback?.(error as Error);
        return operation(this.memory as RateLimiterMemory);
      }
    }
    this.onFallback?.(new Error(`no answer within ${BUDGET_REDIS_TIMEOUT_MS} ms (backing off)`));
    return operation(this.memory as RateLimiterMemory);
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
