import type { WorkerOptions } from 'bullmq';
import { AppConfig } from '@app/config';
import { redisOptionsFromUrl } from '@app/queue';

/**
 * Consumer settings shared by the worker's processors. The lock is renewed while a job runs, so it
 * only bounds how fast a killed worker's job is taken over: twice the attempt deadline, 5–30 s.
 */
export function consumerOptions(config: AppConfig, concurrency: number): WorkerOptions {
  const lockDuration = Math.min(30_000, Math.max(5_000, 2 * config.delivery.timeoutMs));
  return {
    prefix: config.queuePrefix,
    connection: { ...redisOptionsFromUrl(config.redisUrl), maxRetriesPerRequest: null },
    concurrency,
    lockDuration,
    stalledInterval: lockDuration,
    maxStalledCount: 1,
    autorun: false,
  };
}
