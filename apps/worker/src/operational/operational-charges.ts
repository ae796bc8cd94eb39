import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  ACTION_BUDGET,
  BUDGET_REDIS_TIMEOUT_MS,
  NO_WEBHOOK,
  OWN_SUBSCRIBERS_SQL,
  WindowBudget,
} from '@app/budget';
import { AppConfig } from '@app/config';
import { WorkerMetrics } from '../metrics/worker-metrics';
import type { OperationalCharge, TransactionRows } from './operational-events';

/** Owners whose last suppression was logged, remembered at most this many at once. */
const LOGGED_OWNERS = 10_000;

/**
 * The operational events a webhook's owner caused (lifecycle.ts causedByOwner: their pings,
 * redeliveries, recovered deliveries, and deliveries of the service's own events) cost their
 * ACTION_DELIVERY_LIMIT like the actions themselves: one delivery per webhook that receives the event,
 * counted in the key the API counts (README → API → Rate limits). What the budget cannot cover is not
 * sent: counted in `event_api_operational_events_suppressed_total{event}`, one warning line per
 * owner per window.
 *
 * A charge is taken in the transaction that writes the event, which holds its webhook's row lock (the
 * event must be written with the change it reports, or not at all; whether it is written depends on
 * the charge). So Redis gets BUDGET_REDIS_TIMEOUT_MS, after which this worker's in-memory count decides
 * (README → Security, amplification): neither refusing (the owner would silently lose notices of real
 * changes whenever Redis is slow) nor waving everything through (the bound would go exactly when Redis
 * is unwell), the limit then holds per worker, as it does for the API. Each such charge counts in
 * `event_api_operational_budget_fallbacks_total`, with one warning line per window.
 */
@Injectable()
export class OperationalCharges implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OperationalEvents');
  private readonly budget: WindowBudget;
  private readonly loggedAt = new Map<string, number>();
  private fallbackLoggedAt?: number;

  constructor(
    config: AppConfig,
    private readonly metrics: WorkerMetrics,
  ) {
    this.budget = new WindowBudget(config, config.actionDeliveryLimit, ACTION_BUDGET, (error) =>
      this.fellBack(error),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.budget.onApplicationBootstrap();
  }

  onApplicationShutdown(): void {
    this.budget.onApplicationShutdown();
  }

  /** True when the event is to be sent (ChargeOperational). */
  readonly charge = async (db: TransactionRows, event: OperationalCharge): Promise<boolean> => {
    const deliveries = await this.cost(db, event);
    if (deliveries === 0) return true;
    const decision = await this.budget.consume(event.ownerId, deliveries);
    if (decision.allowed) return true;
    this.metrics.operationalSuppressed.inc({ event: event.name });
    this.logOnce(event, decision.limit, decision.windowSeconds);
    return false;
  };

  /**
   * What the event will cost its owner: one delivery per webhook of theirs that receives it (0
   * without a budget). For an event sent whatever the budget says, counted with `record`.
   */
  async cost(db: TransactionRows, event: Pick<OperationalCharge, 'name' | 'ownerId'>): Promise<number> {
    if (!this.budget.enabled) return 0;
    const [row] = await db.query<{ n: number }>(OWN_SUBSCRIBERS_SQL, [event.ownerId, event.name, NO_WEBHOOK]);
    return row?.n ?? 0;
  }

  /**
   * Counts `deliveries` against the owner's budget without ever refusing them: webhook.disabled is
   * published whatever the budget says (README → API → Rate limits), like the API's delete.
   */
  async record(ownerId: string, deliveries: number): Promise<void> {
    if (deliveries > 0) await this.budget.add(ownerId, deliveries);
  }

  private fellBack(error: Error): void {
    this.metrics.operationalBudgetFallbacks.inc();
    const now = Date.now();
    if (
      this.fallbackLoggedAt !== undefined &&
      now - this.fallbackLoggedAt < this.budget.windowSeconds * 1000
    ) {
      return;
    }
    this.fallbackLoggedAt = now;
    this.logger.warn(
      `ACTION_DELIVERY_LIMIT counted in this worker's memory: Redis failed or did not answer within ` +
        `${BUDGET_REDIS_TIMEOUT_MS} ms (${error.message}); the limit holds per worker until it answers ` +
        `(event_api_operational_budget_fallbacks_total)`,
    );
  }

  private logOnce(event: OperationalCharge, limit: number, windowSeconds: number): void {
    const now = Date.now();
    const last = this.loggedAt.get(event.ownerId);
    if (last !== undefined && now - last < windowSeconds * 1000) return;
    if (this.loggedAt.size >= LOGGED_OWNERS) this.loggedAt.clear();
    this.loggedAt.set(event.ownerId, now);
    this.logger.warn(
      `operational events suppressed for owner ${event.ownerId}: the deliveries their own actions caused ` +
        `used up ACTION_DELIVERY_LIMIT (${limit} per ${windowSeconds} s); ${event.name} of webhook ` +
        `${event.webhookId} and others this window not sent (event_api_operational_events_suppressed_total)`,
    );
  }
}
