import { Injectable } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { AppConfig } from '@app/config';
import { RedisConnection } from '../redis-connection';

/**
 * GCRA with reservation: each call takes the webhook's next free slot (one per `intervalMs`,
 * shared by every worker through Redis) and returns how long until it: 0 means now. A caller told
 * to wait holds that slot, so the deliveries over a webhook's rate are spaced exactly, each woken
 * once, instead of polling for room.
 */
const RESERVE_SLOT = `
  local clock = redis.call('TIME')
  local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
  -- 1000 / rateLimit: fractional for most rates; PX takes whole milliseconds only.
  local interval = tonumber(ARGV[1])
  local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
  if slot < now then slot = now end
  redis.call('SET', KEYS[1], slot + interval, 'PX', math.ceil(slot + interval - now) + 1000)
  return slot - now`;

type ThrottleClient = (Redis | Cluster) & {
  reserveThrottleSlot(key: string, intervalMs: number): Promise<number>;
};

/** The per-webhook `rateLimit` (deliveries per second, across all workers). */
@Injectable()
export class Throttle {
  private readonly client: ThrottleClient;
  private readonly prefix: string;

  constructor(config: AppConfig, redis: RedisConnection) {
    this.prefix = config.queuePrefix;
    redis.client.defineCommand('reserveThrottleSlot', { numberOfKeys: 1, lua: RESERVE_SLOT });
    this.client = redis.client as ThrottleClient;
  }

  /** Milliseconds until this delivery's slot under `rateLimit` per second (0: go now). */
  reserve(webhookId: string, rateLimit: number): Promise<number> {
    return this.client.reserveThrottleSlot(`${this.prefix}:throttle:${webhookId}`, 1000 / rateLimit);
  }
}
