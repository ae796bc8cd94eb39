import { Job, JobJson, JobProgress, Worker, WorkerOptions } from 'bullmq';
import { JobDataOf, JobNameOf, QueueName } from '@app/queue';

/**
 * A job as BullMQ reads it from Redis, except that data which is not JSON does not make the read
 * throw: `data` is then null and `dataIsJson` false. Publishers in other languages write the data
 * themselves, and Python's `json.dumps` writes bare `NaN` and `Infinity` by default; BullMQ's own
 * `JSON.parse` of such data throws after the job was moved to active, so the job would stay there,
 * without a reason, stalling and being taken again at every stall check.
 * (Options are always JSON: BullMQ's scripts write them and refuse NaN and Infinity at add.)
 */
class TolerantJob<D, R, N extends string, P extends JobProgress = JobProgress> extends Job<D, R, N, P> {
  dataIsJson = true;

  static override fromJSON<T, R, N extends string>(
    queue: Parameters<typeof Job.fromJSON>[0],
    json: JobJson,
    jobId?: string,
  ): Job<T, R, N> {
    try {
      return super.fromJSON<T, R, N>(queue, json, jobId);
    } catch (error) {
      // fromJSON's only parse that throws is the data's (the others are guarded by BullMQ).
      if (!(error instanceof SyntaxError)) throw error;
      const job = super.fromJSON<T, R, N>(queue, { ...json, data: 'null' }, jobId);
      (job as TolerantJob<T, R, N>).dataIsJson = false;
      return job;
    }
  }
}

/** Whether the job's data was JSON; when not, `data` is null and the processor must fail the job. */
export function hasJsonData(job: Job): boolean {
  return !(job instanceof TolerantJob) || job.dataIsJson;
}

/** A job of queue `Q`, typed by JobPayloads. */
export type QueueJob<Q extends QueueName> = Job<JobDataOf<Q>, unknown, JobNameOf<Q>>;

/**
 * A BullMQ worker whose jobs come from TolerantJob: every path by which it reads a job (taking the
 * next one, or the one handed over when a job completes or fails) goes through `Job`. Its jobs'
 * names and data are queue `Q`'s in JobPayloads.
 */
export class TolerantWorker<Q extends QueueName> extends Worker<JobDataOf<Q>, unknown, JobNameOf<Q>> {
  constructor(
    queue: Q,
    processor: (job: QueueJob<Q>, token?: string) => Promise<unknown>,
    options: WorkerOptions,
  ) {
    super(queue, processor, options);
  }

  protected override get Job(): typeof Job {
    return TolerantJob;
  }
}
