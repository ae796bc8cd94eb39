import { Queue, QueueOptions } from 'bullmq';
import { JobDataOf, JobNameOf, QueueName } from './queues';

/** A BullMQ queue of queue `Q`: its job names and data are JobPayloads'. */
export type TypedQueue<Q extends QueueName> = Queue<JobDataOf<Q>, unknown, JobNameOf<Q>>;

/** Opens queue `Q` for producing or reading, typed by JobPayloads: how the project's code opens a queue. */
export function openQueue<Q extends QueueName>(name: Q, options: QueueOptions): TypedQueue<Q> {
  return new Queue(name, options);
}
