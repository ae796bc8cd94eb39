import { ConflictException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';
import { attachLastDeliveries, liftStatementTimeout, resealSecrets, WebhookEntity } from '@app/database';
import { EventUser } from '@app/events';
import { OutboxRelay, recordWebhookEvent } from '@app/outbox';
import { checkUrlTarget } from '@app/netguard';
import { SecretBox } from '@app/signing';
import { Principal } from '../auth/principal';
import { RequestValidationException } from '../common/error-body';
import { Entitlements } from '../entitlements/entitlements.service';
import { ActionBudget } from '../rate-limit/action-budget';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import { ListWebhooksQuery } from './dto/list-webhooks.query';
import { UpdateWebhookDto } from './dto/update-webhook.dto';
import { storedFilter } from './dto/webhook-filter';
import { storedHeaders } from './dto/webhook-headers';
import { findOwnedWebhook } from './owned-webhook';
import { freshCredentials, rotateCredentials } from './signing-credentials';

function actorOf(principal: Principal): EventUser {
  return { id: principal.id, nickname: principal.nickname };
}

@Injectable()
export class WebhooksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly entitlements: Entitlements,
    private readonly budget: ActionBudget,
    private readonly outbox: OutboxRelay,
    private readonly secretBox: SecretBox,
  ) {}

  async list(principal: Principal, query: ListWebhooksQuery): Promise<WebhookEntity[]> {
    const builder = this.dataSource
      .getRepository(WebhookEntity)
      .createQueryBuilder('webhook')
      .where('webhook.ownerId = :ownerId', { ownerId: principal.id });
    if (query.apiId) builder.andWhere('webhook.apiId = :apiId', { apiId: query.apiId });
    if (query.userId) builder.andWhere('webhook.userId = :userId', { userId: query.userId });
    if (query.eventName) {
      builder.andWhere('webhook.events @> ARRAY[:eventName]::text[]', { eventName: query.eventName });
    }
    const webhooks = await builder
      .orderBy('webhook.createdAt', 'DESC')
      .addOrderBy('webhook.id', 'DESC')
      .getMany();
    return attachLastDeliveries(this.dataSource.manager, webhooks);
  }

  async get(principal: Principal, id: string): Promise<WebhookEntity> {
    const webhook = await findOwnedWebhook(this.dataSource.manager, principal, id);
    await attachLastDeliveries(this.dataSource.manager, [webhook]);
    return webhook;
  }

  async create(principal: Principal, dto: CreateWebhookDto): Promise<WebhookEntity> {
    const userId = dto.userId ?? principal.id;
    this.entitlements.assertMayActFor(principal, userId);
    await this.assertUrlTarget(dto.url);
    if (dto.apiId) await this.entitlements.assertApiAccessible(principal, dto.apiId);
    const events = dto.events.map((event) => event.name);
    await this.budget.charge(
      principal,
      await this.budget.lifecycleDeliveries(this.dataSource.manager, principal, 'webhook.created', {
        id: '',
        userId,
        apiId: dto.apiId ?? null,
        active: dto.active ?? true,
        events,
      }),
    );

    const created = await this.dataSource.transaction(async (manager) => {
      // Serializes creates per owner so the limit holds under concurrency (50 parallel → exactly 30).
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `webhook-owner:${principal.id}`,
      ]);
      const owned = await manager.count(WebhookEntity, { where: { ownerId: principal.id } });
      if (owned >= this.config.webhookLimitPerUser) {
        throw new ConflictException(
          `Webhook limit reached: a user may own at most ${this.config.webhookLimitPerUser} webhooks`,
        );
      }
      const webhook = manager.create(WebhookEntity, {
        ownerId: principal.id,
        ownerNickname: principal.nickname,
        userId,
        apiId: dto.apiId ?? null,
        url: dto.url,
        events,
        active: dto.active ?? true,
        custom: dto.custom ?? null,
        rateLimit: dto.rateLimit ?? null,
        ordering: dto.ordering ?? 'none',
        headers: storedHeaders(dto.headers),
        signing: dto.signing ?? 'hmac-sha256',
        ...freshCredentials(dto.signing ?? 'hmac-sha256'),
        filter: storedFilter(dto.filter),
        disabledReason: null,
        failingSince: null,
        firstSuccessAt: null,
        lastDelivery: null,
      });
      const saved = await manager.save(webhook);
      await recordWebhookEvent(manager, 'webhook.created', saved, actorOf(principal));
      return saved;
    });
    this.outbox.kick();
    return created;
  }

  /** `rotated`: the update switched `signing`, so the webhook has a new secret or key. */
  async update(
    principal: Principal,
    id: string,
    dto: UpdateWebhookDto,
  ): Promise<{ webhook: WebhookEntity; rotated: boolean }> {
    if (dto.userId !== undefined) this.entitlements.assertMayActFor(principal, dto.userId);
    if (dto.url !== undefined) await this.assertUrlTarget(dto.url);
    if (dto.apiId) await this.entitlements.assertApiAccessible(principal, dto.apiId);
    // Entitlements lost since creation: checked outside the transaction (the Core-API may take 2 s).
    const current = await findOwnedWebhook(this.dataSource.manager, principal, id);
    await this.entitlements.assertMayManage(principal, current, { checkApi: dto.apiId === undefined });
    await this.budget.charge(
      principal,
      await this.budget.lifecycleDeliveries(this.dataSource.manager, principal, 'webhook.updated', {
        id: current.id,
        userId: dto.userId ?? current.userId,
        apiId: dto.apiId === undefined ? current.apiId : dto.apiId,
        active: dto.active ?? current.active,
        events: dto.events?.map((event) => event.name) ?? current.events,
      }),
    );

    let rotated = false;
    const updated = await this.dataSource.transaction(async (manager) => {
      const webhook = await findOwnedWebhook(manager, principal, id, true);
      await this.entitlements.assertMayManage(principal, webhook, { checkApi: false });
      await attachLastDeliveries(manager, [webhook]);
      if (dto.url !== undefined && dto.url !== webhook.url) {
        // A new URL is a new endpoint: unproven until a delivery to it succeeds (short retries).
        webhook.url = dto.url;
        webhook.firstSuccessAt = null;
      }
      if (dto.events !== undefined) webhook.events = dto.events.map((event) => event.name);
      if (dto.custom !== undefined) webhook.custom = dto.custom;
      if (dto.apiId !== undefined) webhook.apiId = dto.apiId;
      if (dto.userId !== undefined) webhook.userId = dto.userId;
      if (dto.rateLimit !== undefined) webhook.rateLimit = dto.rateLimit;
      // Deliveries already under way finish as they are (README → Ordered delivery).
      if (dto.ordering !== undefined) webhook.ordering = dto.ordering;
      // The map is replaced whole: a header left out is removed.
      if (dto.headers !== undefined) webhook.headers = storedHeaders(dto.headers);
      if (dto.signing !== undefined && dto.signing !== webhook.signing) {
        // A switch is a rotation into the other kind: the old secret or key overlaps as after one.
        webhook.signing = dto.signing;
        rotateCredentials(webhook, this.config.secretRotationOverlapMs);
        rotated = true;
      }
      // Replaced whole too; absent keeps it (README → Payload filters).
      if (dto.filter !== undefined) webhook.filter = storedFilter(dto.filter);
      if (dto.active !== undefined) {
        // Re-activating starts afresh: the failure streak and the system's reason are cleared.
        if (dto.active && !webhook.active) {
          webhook.failingSince = null;
          webhook.failureCount = 0;
          webhook.disabledReason = null;
        }
        webhook.active = dto.active;
      }
      const saved = await manager.save(webhook);
      // A row from before SECRETS_ENCRYPTION_KEY (or under an older key) is sealed when touched.
      await resealSecrets(manager, this.secretBox, [saved.id]);
      await recordWebhookEvent(manager, 'webhook.updated', saved, actorOf(principal));
      return saved;
    });
    this.outbox.kick();
    return { webhook: updated, rotated };
  }

  /** Deleting cascades to its deliveries: pending ones are dropped with it. */
  async remove(principal: Principal, id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const webhook = await findOwnedWebhook(manager, principal, id, true);
      // Never refused, but its webhook.deleted still counts against the budget.
      await this.budget.record(
        principal,
        await this.budget.lifecycleDeliveries(manager, principal, 'webhook.deleted', {
          ...webhook,
          active: false,
        }),
      );
      await attachLastDeliveries(manager, [webhook]);
      // The cascade takes as long as the webhook's history is large (about 0.6 s per 100,000
      // deliveries with their attempts): only its lock waits are bounded, or a busy webhook could
      // never be deleted.
      await liftStatementTimeout(manager, this.config.databaseTimeouts.api.statementMs);
      await manager.delete(WebhookEntity, { id: webhook.id });
      await recordWebhookEvent(manager, 'webhook.deleted', webhook, actorOf(principal));
    });
    this.outbox.kick();
  }

  /** SSRF guard at registration; delivery checks again against the address it connects to. */
  private async assertUrlTarget(url: string): Promise<void> {
    if (this.config.delivery.requireHttps && !/^https:/i.test(url)) {
      throw new RequestValidationException([
        { field: 'url', message: 'url must use https: this deployment sets DELIVERY_REQUIRE_HTTPS=true' },
      ]);
    }
    if (this.config.delivery.allowPrivateNetworks) return;
    const target = await checkUrlTarget(url);
    // A name that does not resolve now is accepted: delivery resolves (and checks) again.
    if (!target.ok && target.reason === 'private') {
      // A developer pointing a webhook at a local receiver needs the switch; a production
      // API's callers cannot set it, and its operators should not be nudged to.
      const hint = this.config.production
        ? ''
        : '; for local development set DELIVERY_ALLOW_PRIVATE_NETWORKS=true';
      throw new RequestValidationException([
        {
          field: 'url',
          message: `url must not point at a private network address (${target.detail})${hint}`,
        },
      ]);
    }
  }
}
