import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { attachLastDeliveries, WebhookEntity } from '@app/database';
import { OutboxRelay, recordWebhookEvent, SYSTEM_USER } from '@app/outbox';
import type { Principal } from '../auth/principal';

/** A principal's (sub, orgs) is looked at once per this, per API instance. */
const RECHECK_AFTER_MS = 60_000;
/** Bound on remembered principals; past it the memory is simply cleared. */
const MAX_REMEMBERED = 10_000;

/**
 * Organization webhooks of a user whose token no longer lists the organization are switched off
 * (`active: false`, `disabledReason: "membership"`, `webhook.disabled` published): tokens are the
 * platform's only record of membership, so this happens the first time such a token is seen.
 */
@Injectable()
export class LostMemberships {
  private readonly logger = new Logger('Entitlements');
  private readonly checked = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxRelay,
  ) {}

  /** Switches off what the principal's token no longer entitles it to; cheap when nothing changed. */
  async revoke(principal: Principal): Promise<void> {
    const key = `${principal.id}\u0000${[...principal.orgs].sort().join('\u0000')}`;
    const now = Date.now();
    if ((this.checked.get(key) ?? 0) > now) return;
    if (this.checked.size >= MAX_REMEMBERED) this.checked.clear();
    const revoked = await this.dataSource.transaction(async (manager) => {
      const rows: Array<{ id: string }> = await manager.query(
        `WITH revoked AS (
           UPDATE webhooks SET active = false, disabled_reason = 'membership', updated_at = now()
            WHERE owner_id = $1 AND active AND user_id <> $1 AND NOT (user_id = ANY($2::text[]))
           RETURNING id)
         SELECT id FROM revoked`,
        [principal.id, principal.orgs],
      );
      if (rows.length === 0) return [];
      const webhooks = await manager.find(WebhookEntity, { where: { id: In(rows.map((row) => row.id)) } });
      await attachLastDeliveries(manager, webhooks);
      for (const webhook of webhooks) {
        await recordWebhookEvent(manager, 'webhook.disabled', webhook, SYSTEM_USER);
      }
      return webhooks;
    });
    this.checked.set(key, now + RECHECK_AFTER_MS);
    if (revoked.length > 0) {
      this.logger.log(
        `switched off ${revoked.length} webhook(s) of user ${principal.id}: organization no longer in the token (${revoked
          .map((webhook) => `${webhook.id} for ${webhook.userId}`)
          .join(', ')})`,
      );
      this.outbox.kick();
    }
  }
}
