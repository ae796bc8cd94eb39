import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { EVENT_NAMES } from '@app/events';
import type { EndpointScheduler } from '../delivery/endpoint-scheduler';
import { WorkerQueues } from '../worker-queues';
import { CachedReading } from './cached-reading';

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized'] as const;
/**
 * What the gauges read from PostgreSQL and Redis is read at most once per this window (README → Metrics and
 * alerts).
 */
export const METRICS_CACHE_MS = 2_000;

const DATABASE_COUNTS_SQL = `
  SELECT (SELECT count(*)::int FROM deliveries WHERE status = 'paused') AS "pausedDeliveries",
         (SELECT count(*)::int FROM webhooks WHERE paused_until IS NOT NULL) AS "pausedEndpoints",
         (SELECT count(*)::int FROM event_outbox) AS "outboxBacklog"`;
interface DatabaseCounts {
  pausedDeliveries: number;
  pausedEndpoints: number;
  outboxBacklog: number;
}
interface QueueReading {
  name: string;
  counts: Record<string, number>;
  oldestWaitingAgeSeconds: number;
}

/**
 * Age of the oldest waiting job, from its id and its hash's `timestamp` alone: the job's data is
 * never read here (it may be large, or not even JSON).
 */
async function oldestWaitingAge(queue: Queue): Promise<number> {
  const [oldestId] = await queue.getRanges(['wait'], 0, 0, true);
  if (oldestId === undefined) return 0;
  const client = await queue.getBackend().client;
  const timestamp = Number(await client.hget(queue.toKey(oldestId), 'timestamp'));
  return Number.isFinite(timestamp) && timestamp > 0 ? Math.max(0, (Date.now() - timestamp) / 1000) : 0;
}

/**
 * The worker's Prometheus metrics, served on WORKER_PORT /metrics. Counters are bumped by the
 * pipeline; queue depths, the oldest waiting job, parked deliveries, paused endpoints and the outbox
 * backlog are read at scrape time, at most once per METRICS_CACHE_MS (CachedReading).
 */
@Injectable()
export class WorkerMetrics {
  private readonly logger = new Logger(WorkerMetrics.name);
  readonly registry = new Registry();
  readonly deliveries = new Counter({
    name: 'event_api_deliveries_total',
    help: 'Delivery attempts and drops by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly attemptDuration = new Histogram({
    name: 'event_api_delivery_attempt_duration_seconds',
    help: 'HTTP time of one delivery attempt, connect to last byte',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    registers: [this.registry],
  });
  readonly disabled = new Counter({
    name: 'event_api_webhooks_disabled_total',
    help: 'Webhooks the worker switched off, by reason (gone: 410; failing: failed for WEBHOOK_DISABLE_AFTER)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly operationalSuppressed = new Counter({
    name: 'event_api_operational_events_suppressed_total',
    help: "Operational events caused by their owner's own actions (pings, redeliveries, recovers, the service's own events) not sent because the owner's ACTION_DELIVERY_LIMIT could not cover them, by event",
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  readonly operationalBudgetFallbacks = new Counter({
    name: 'event_api_operational_budget_fallbacks_total',
    help: "Charges of operational events to their owner's ACTION_DELIVERY_LIMIT counted in this worker's memory because Redis failed or did not answer within 500 ms",
    registers: [this.registry],
  });
  readonly sweeperReenqueued = new Counter({
    name: 'event_api_sweeper_reenqueued_total',
    help: 'Due deliveries the sweeper found without a live job and enqueued again',
    registers: [this.registry],
  });
  readonly deferred = new Counter({
    name: 'event_api_deliveries_deferred_total',
    help: 'Deliveries set aside instead of attempted now, by reason (endpoint_cap, lane_full: back on the queue as a delayed job; throttled: waiting for a rateLimit slot; paused: parked while the endpoint circuit is open)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly firstAttempts = new Counter({
    name: 'event_api_first_attempts_total',
    help: 'First attempts handed over by the fan-out: in_process (made by this worker at once, no delivery job) or queued (no slot free: a delivery job)',
    labelNames: ['path'] as const,
    registers: [this.registry],
  });
  readonly schemaMismatches = new Counter({
    name: 'event_api_events_schema_mismatches_total',
    help: "Published events whose resourceType or resource does not match the event's schema (GET /events), by event; delivered anyway",
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  private scheduler: EndpointScheduler | undefined;
  readonly batchSize = new Histogram({
    name: 'event_api_batch_size',
    help: 'Rows per group-committed statement, by batch (claim, record, fan_out)',
    labelNames: ['batch'] as const,
    buckets: [1, 2, 5, 10, 20, 50, 100],
    registers: [this.registry],
  });

  /** The delivery processor's scheduler, whose in-flight attempts and waiting requests are shown. */
  watchScheduler(scheduler: EndpointScheduler): void {
    this.scheduler = scheduler;
  }

  constructor(queues: WorkerQueues, @InjectDataSource() dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry, prefix: 'event_api_worker_' });
    // Every event's series exists from the start, so an alert on its rate sees the first mismatch.
    for (const event of EVENT_NAMES) this.schemaMismatches.inc({ event }, 0);
    const scheduler = () => this.scheduler;
    new Gauge({
      name: 'event_api_deliveries_in_flight',
      help: 'Delivery attempts in flight in this worker, by lane (slow: slow or failing endpoints, and attempts older than 500 ms)',
      labelNames: ['lane'] as const,
      registers: [this.registry],
      collect() {
        const lanes = scheduler()?.inFlight() ?? { fast: 0, slow: 0 };
        this.set({ lane: 'fast' }, lanes.fast);
        this.set({ lane: 'slow' }, lanes.slow);
      },
    });
    const failures = new Counter({
      name: 'event_api_metrics_collection_failures_total',
      help: 'Scrape-time reads that failed, by source (database, queues): the scrape served the last values read',
      labelNames: ['source'] as const,
      registers: [this.registry],
    });
    const onFailure = (source: 'database' | 'queues') => {
      failures.inc({ source }, 0);
      return (error: unknown) => {
        failures.inc({ source });
        const message = error instanceof Error ? error.message : String(error);
        this.logger.warn(`metrics: ${source} not read, last values served: ${message}`);
      };
    };
    const database = new CachedReading<DatabaseCounts>({
      read: async () => (await dataSource.query<DatabaseCounts[]>(DATABASE_COUNTS_SQL))[0],
      initial: { pausedDeliveries: 0, pausedEndpoints: 0, outboxBacklog: 0 },
      windowMs: METRICS_CACHE_MS,
      onFailure: onFailure('database'),
    });
    const watched: Array<[string, Queue]> = [
      ['deliveries', queues.deliveries.queue],
      ['events', queues.eventsQueue],
    ];
    const queueReadings = new CachedReading<QueueReading[]>({
      read: () =>
        Promise.all(
          watched.map(async ([name, queue]) => ({
            name,
            counts: await queue.getJobCounts(...JOB_STATES),
            oldestWaitingAgeSeconds: await oldestWaitingAge(queue),
          })),
        ),
      initial: [],
      windowMs: METRICS_CACHE_MS,
      onFailure: onFailure('queues'),
    });
    new Gauge({
      name: 'event_api_deliveries_waiting',
      help: 'Deliveries waiting, by reason: paused (parked in PostgreSQL while their endpoint circuit is open), slot (in this worker, for a slot that frees within a second)',
      labelNames: ['reason'] as const,
      registers: [this.registry],
      async collect() {
        this.set({ reason: 'paused' }, (await database.get()).pausedDeliveries);
        this.set({ reason: 'slot' }, scheduler()?.waitingInMemory() ?? 0);
      },
    });
    new Gauge({
      name: 'event_api_paused_endpoints',
      help: 'Webhooks whose endpoint circuit is open (paused) or half-open (probing)',
      registers: [this.registry],
      async collect() {
        this.set((await database.get()).pausedEndpoints);
      },
    });
    new Gauge({
      name: 'event_api_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        for (const { name, counts } of await queueReadings.get()) {
          for (const state of JOB_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'event_api_queue_oldest_waiting_age_seconds',
      help: 'Age of the oldest waiting job per queue (0 when none waits): the backlog alert',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      async collect() {
        for (const { name, oldestWaitingAgeSeconds } of await queueReadings.get()) {
          this.set({ queue: name }, oldestWaitingAgeSeconds);
        }
      },
    });
    new Gauge({
      name: 'event_api_outbox_backlog',
      help: 'Lifecycle events committed but not yet relayed to the queue',
      registers: [this.registry],
      async collect() {
        this.set((await database.get()).outboxBacklog);
      },
    });
  }
}
