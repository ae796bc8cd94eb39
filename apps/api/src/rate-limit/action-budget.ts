import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '@app/config';
import type { WebhookEntity } from '@app/database';
import type { Principal } from '../auth/principal';
import { ACTION_BUDGET, NO_WEBHOOK, OWN_SUBSCRIBERS_SQL, WindowBudget } from '@app/budget';

/** A 429 that tells when to retry (the exception filter writes `Retry-After`). */
export class TooManyDeliveriesException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * ACTION_DELIVERY_LIMIT: how many deliveries one user's own actions may make the service send per
 * window (README → Security, amplification). A create or update costs one delivery per webhook of
 * the user's that receives its `webhook.*` event, a ping or redelivery one; an action that would go
 * past the budget is refused with 429 before it changes anything. A delete is never refused (removing
 * a webhook must always be possible) but its event still counts. Kept in Redis under
 * `QUEUE_PREFIX:action-budget:<sub>`, shared by every API instance.
 */
@Injectable()
export class ActionBudget extends WindowBudget {
  constructor(@Inject(AppConfig) config: AppConfig) {
    super(config, config.actionDeliveryLimit, ACTION_BUDGET);
  }

  /** Takes `deliveries` from the user's budget, or refuses the action with 429. */
  async charge(principal: Principal, deliveries: number): Promise<void> {
    if (!this.enabled || deliveries <= 0) return;
    const decision = await this.consume(principal.id, deliveries);
    if (decision.allowed) return;
    throw new TooManyDeliveriesException(
      `Too many deliveries caused by your own actions: at most ${decision.limit} per ${decision.windowSeconds} s ` +
        `(webhook.* events to your webhooks, pings, redeliveries); this one would cause ${deliveries}; ` +
        `retry in ${decision.resetSeconds} s`,
      decision.resetSeconds,
    );
  }

  /**
   * How many deliveries the user's actions may still cause in this window (Infinity without a
   * budget), for an action that takes only as much as is left (recover); 429 when nothing is.
   */
  async available(principal: Principal, action: string): Promise<number> {
    if (!this.enabled) return Number.POSITIVE_INFINITY;
    const decision = await this.remaining(principal.id);
    if (decision.remaining > 0) return decision.remaining;
    throw new TooManyDeliveriesException(
      `Too many deliveries caused by your own actions: at most ${decision.limit} per ${decision.windowSeconds} s ` +
        `(webhook.* events to your webhooks, pings, redeliveries, recovers); none left to ${action}; ` +
        `retry in ${decision.resetSeconds} s`,
      decision.resetSeconds,
    );
  }

  /** Counts deliveries that happen whatever the budget says. */
  async record(principal: Principal, deliveries: number): Promise<void> {
    if (this.enabled && deliveries > 0) await this.add(principal.id, deliveries);
  }

  /**
   * Deliveries a `webhook.*` event of the user's would cause: one per active webhook of the user's
   * own (no apiId) subscribed to it, `changed` counted as it will be after the action.
   */
  async lifecycleDeliveries(
    manager: EntityManager,
    principal: Principal,
    event: string,
    changed?: Pick<WebhookEntity, 'id' | 'userId' | 'apiId' | 'active' | 'events'>,
  ): Promise<number> {
    if (!this.enabled) return 0;
    const [row] = await manager.query<Array<{ n: number }>>(OWN_SUBSCRIBERS_SQL, [
      principal.id,
      event,
      // A webhook being created has no id yet: the nil UUID matches none.
      changed?.id || NO_WEBHOOK,
    ]);
    const self =
      changed !== undefined &&
      changed.userId === principal.id &&
      changed.apiId === null &&
      changed.active &&
      changed.events.includes(event);
    return row.n + (self ? 1 : 0);
  }
}
