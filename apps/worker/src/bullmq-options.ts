import type { WorkerOptions } from 'bullmq';
import { AppConfig, queueTarget } from '@app/config';
import { bullConnection, FINISHED_JOBS, QueueName } from '@app/queue';

/**
 * Consumer settings shared by the worker's processors. The lock is renewed while a job runs, so it
 * only bounds how fast a killed worker's job is taken over: twice the attempt deadline, 5–30 s.
 * On a Redis Cluster the connection is a client of ours: close the worker with `closeBullClient`.
 */
export function consumerOptions(config: AppConfig, queue: QueueName, concurrency: number): WorkerOptions {
  const lockDuration = Math.min(30_000, Math.max(5_000, 2 * config.delivery.timeoutMs));
  return {
    prefix: config.queuePrefix,
    connection: bullConnection(queueTarget(config), { maxRetriesPerRequest: null }),
    concurrency,
    ...FINISHED_JOBS[queue],
    lockDuration,
    stalledInterval: lockDuration,
    maxStalledCount: 1,
    autorun: false,
  };
}
