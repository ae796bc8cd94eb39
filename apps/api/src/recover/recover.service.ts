import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig, formatDuration } from '@app/config';
import { lockLine, wakeNext } from '@app/database';
import { DeliveryQueue } from '@app/queue';
import { Principal } from '../auth/principal';
import { RequestValidationException } from '../common/error-body';
import { Entitlements } from '../entitlements/entitlements.service';
import { ActionBudget } from '../rate-limit/action-budget';
import { assertWebhookActive, findOwnedWebhook } from '../webhooks/owned-webhook';
import { RecoverDto } from './dto/recover.dto';
import { RECOVER_SQL, RECOVER_TO_LINE_SQL } from './recover.sql';

/** Deliveries one call recovers at most: one statement's worth; the caller calls again for more. */
export const RECOVER_MAX = 10_000;
/** Recovered deliveries that become due per second (as a closed circuit's parked backlog). */
export const RECOVER_PER_SECOND = 1_000;

interface DueDelivery {
  id: string;
  nextAttemptAt: Date;
}

interface Window {
  since: Date;
  until: Date;
}

/**
 * Sends a webhook's failed deliveries of a time window again (README → API → Recovering failed
 * deliveries): they become pending in PostgreSQL in one statement, then their jobs are queued; the
 * worker delivers them through the normal path (endpoint cap, lanes, circuit, the webhook's
 * rateLimit). A fifo webhook's deliveries rejoin its line instead, one at a time (README → Ordered delivery).
 */
@Injectable()
export class RecoverService {
  private readonly logger = new Logger(RecoverService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly deliveryQueue: DeliveryQueue,
    private readonly entitlements: Entitlements,
    private readonly budget: ActionBudget,
  ) {}

  /** Returns how many deliveries are pending again. */
  async recover(principal: Principal, webhookId: string, body: RecoverDto): Promise<number> {
    const webhook = await findOwnedWebhook(this.dataSource.manager, principal, webhookId);
    const window = this.windowOf(body);
    await this.entitlements.assertMayManage(principal, webhook);
    assertWebhookActive(webhook, 'recover');
    // Each recovered delivery is one delivery caused by the user (README → Rate limits): a call
    // takes at most what is left of the budget.
    const limit = Math.min(RECOVER_MAX, await this.budget.available(principal, 'recover'));
    const { recovered, toSend } = await this.dataSource.transaction(async (manager) => {
      // The webhook's ordering as it stands, held until commit: a PUT changing it waits.
      const line = await lockLine(manager, webhook.id);
      if (!line) return { recovered: 0, toSend: [] };
      const parameters = [webhook.id, window.since, window.until, limit];
      if (line.ordering !== 'fifo') {
        const rows = await manager.query<DueDelivery[]>(RECOVER_SQL, [...parameters, RECOVER_PER_SECOND]);
        return { recovered: rows.length, toSend: rows };
      }
      // Back in line, then the line woken: only its head (if it has none in flight) is sent now.
      const [{ n }] = await manager.query<Array<{ n: number }>>(RECOVER_TO_LINE_SQL, parameters);
      const woken = n > 0 ? await wakeNext(manager, webhook.id, line.paused) : [];
      return { recovered: n, toSend: woken.filter((row) => row.status === 'pending') };
    });
    await this.budget.record(principal, recovered);
    await this.enqueue(webhook.id, toSend);
    return recovered;
  }

  /** [since, until) as asked, `until` at most now; 400 naming the field otherwise. */
  private windowOf(body: RecoverDto): Window {
    const now = Date.now();
    const since = new Date(body.since);
    const until = new Date(Math.min(now, body.until === undefined ? now : Date.parse(body.until)));
    const retention = this.config.deliveryLogRetentionMs;
    if (since.getTime() < now - retention) {
      throw invalid(
        'since',
        `since must be within DELIVERY_LOG_RETENTION (${formatDuration(retention)}): not before ${new Date(now - retention).toISOString()}`,
      );
    }
    if (since.getTime() >= until.getTime()) {
      throw invalid('until', 'since must be before until (and before now)');
    }
    return { since, until };
  }

  /**
   * The rows are committed pending: should Redis fail here, the sweeper enqueues each once it is
   * due (and a fifo line's next wakes when its head ends, or by the keeper). A job still live for
   * one of them (a finished one holds its id too) is left as it is.
   */
  private async enqueue(webhookId: string, rows: DueDelivery[]): Promise<void> {
    const dueAt = new Map(rows.map((row) => [row.id, row.nextAttemptAt.getTime()]));
    for (let start = 0; start < rows.length; start += RECOVER_PER_SECOND) {
      const chunk = rows.slice(start, start + RECOVER_PER_SECOND).map((row) => row.id);
      try {
        const { lost } = await this.deliveryQueue.withoutLiveJob(chunk);
        const now = Date.now();
        await this.deliveryQueue.enqueue(
          lost.map((deliveryId) => ({
            deliveryId,
            webhookId,
            delayMs: Math.max(0, (dueAt.get(deliveryId) ?? now) - now),
          })),
        );
      } catch (error) {
        this.logger.warn(
          `${rows.length - start} recovered deliveries of webhook ${webhookId} not enqueued, left to the sweeper: ${(error as Error).message}`,
        );
        return;
      }
    }
  }
}

function invalid(field: string, message: string): RequestValidationException {
  return new RequestValidationException([{ field, message }]);
}
