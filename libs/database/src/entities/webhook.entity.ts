import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { sealedHeadersColumn, secretColumn } from '../secret-column';

/** `membership`: the owner's token no longer lists the organization the webhook delivers for. */
export type DisabledReason = 'gone' | 'failing' | 'membership';

/** `fifo`: one delivery at a time, in publish order (README → Ordered delivery). */
export type WebhookOrdering = 'none' | 'fifo';
export const WEBHOOK_ORDERINGS: readonly WebhookOrdering[] = ['none', 'fifo'];

/** The outcome of the most recent delivery attempt, as the API shows it. */
export interface LastDelivery {
  success: boolean;
  statusCode: number | null;
  response: string;
  timestamp: string;
}

@Entity({ name: 'webhooks' })
@Index('IDX_webhooks_owner_created', ['ownerId', 'createdAt'])
// Fan-out: an event matches by apiId, or (webhooks without apiId) by userId; only active ones count.
@Index('IDX_webhooks_api_active', ['apiId'], { where: '"active" AND "api_id" IS NOT NULL' })
@Index('IDX_webhooks_user_active', ['userId'], { where: '"active" AND "api_id" IS NULL' })
// GIN index on the events array, declared in the migration (TypeORM cannot express GIN).
@Index('IDX_webhooks_events', { synchronize: false })
@Check('CHK_webhooks_events_not_empty', `cardinality("events") > 0`)
@Check('CHK_webhooks_url_length', `char_length("url") <= 1000`)
@Check('CHK_webhooks_custom_length', `"custom" IS NULL OR char_length("custom") <= 10000`)
@Check('CHK_webhooks_disabled_reason', `"disabled_reason" IN ('gone', 'failing', 'membership')`)
@Check('CHK_webhooks_signing', `"signing" IN ('hmac-sha256', 'ed25519')`)
@Check('CHK_webhooks_rate_limit', `"rate_limit" IS NULL OR "rate_limit" BETWEEN 1 AND 10000`)
@Check('CHK_webhooks_filter_object', `"filter" IS NULL OR jsonb_typeof("filter") = 'object'`)
@Check('CHK_webhooks_ordering', `"ordering" IN ('none', 'fifo')`)
// The circuit keeper's scan for cool-downs that have ended.
@Index('IDX_webhooks_paused', ['pausedUntil'], { where: '"paused_until" IS NOT NULL' })
export class WebhookEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The `sub` of the user who created and owns the webhook. */
  @Column({ name: 'owner_id', type: 'text' })
  ownerId!: string;

  @Column({ name: 'owner_nickname', type: 'text', nullable: true })
  ownerNickname!: string | null;

  /** User or organization whose events are delivered. */
  @Column({ name: 'user_id', type: 'text' })
  userId!: string;

  @Column({ name: 'api_id', type: 'uuid', nullable: true })
  apiId!: string | null;

  @Column({ type: 'text' })
  url!: string;

  /** Subscribed event names. */
  @Column({ type: 'text', array: true })
  events!: string[];

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @Column({ type: 'text', nullable: true })
  custom!: string | null;

  /** Sealed at rest when SECRETS_ENCRYPTION_KEY is set; always plain text in memory. */
  @Column({ type: 'text', transformer: secretColumn })
  secret!: string;

  /** The rotated-out secret, which keeps signing alongside until previousSecretExpiresAt. */
  @Column({ name: 'previous_secret', type: 'text', nullable: true, transformer: secretColumn })
  previousSecret!: string | null;

  /**
   * Custom headers sent with every delivery; values are often the receiver's credentials, so the
   * map is sealed like the secret. Null: none.
   */
  @Column({ type: 'text', nullable: true, transformer: sealedHeadersColumn })
  headers!: Record<string, string> | null;

  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt!: Date | null;

  /**
   * How deliveries are signed (README → Verifying Ed25519 signatures): with `ed25519`, `secret` holds
   * the Ed25519 private key (`whsk_`) and publicKey its public half.
   */
  @Column({ type: 'text', default: 'hmac-sha256' })
  signing!: 'hmac-sha256' | 'ed25519';

  /** base64url public key of an Ed25519 `secret` (the JWK's `x`); null for an HMAC secret. */
  @Column({ name: 'public_key', type: 'text', nullable: true })
  publicKey!: string | null;

  /** The same for previousSecret: listed in the JWKS while previousSecret still signs. */
  @Column({ name: 'previous_public_key', type: 'text', nullable: true })
  previousPublicKey!: string | null;

  @Column({ name: 'disabled_reason', type: 'text', nullable: true })
  disabledReason!: DisabledReason | null;

  /** Start of the current unbroken run of failed deliveries; null after a success. */
  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince!: Date | null;

  /**
   * Failed attempts in a row, counted up to the webhook.failing threshold only (so a webhook that
   * keeps failing does not write its row on every attempt); 0 after a success.
   */
  @Column({ name: 'failure_count', type: 'integer', default: 0 })
  failureCount!: number;

  /**
   * When a delivery to the current `url` first succeeded; null until then (and again when `url`
   * changes). Until it is set each delivery gets a short retry schedule (README → Delivery).
   */
  @Column({ name: 'first_success_at', type: 'timestamptz', nullable: true })
  firstSuccessAt!: Date | null;

  /** At most this many deliveries per second, across all workers; null: no limit. */
  @Column({ name: 'rate_limit', type: 'integer', nullable: true })
  rateLimit!: number | null;

  /** `fifo`: one delivery at a time, in publish order (README → Ordered delivery). */
  @Column({ type: 'text', default: 'none' })
  ordering!: WebhookOrdering;

  /**
   * Circuit open: the end of the cool-down, after which one probe attempt is made; it stays as it
   * is (in the past) while the probe runs. Null: the circuit is closed.
   */
  @Column({ name: 'paused_until', type: 'timestamptz', nullable: true })
  pausedUntil!: Date | null;

  /** Pauses in a row without a successful probe between them (the cool-down doubles with each). */
  @Column({ name: 'pause_count', type: 'integer', default: 0 })
  pauseCount!: number;

  /** While the circuit is half-open: the one delivery that may be attempted (the probe). */
  @Column({ name: 'probe_delivery_id', type: 'uuid', nullable: true })
  probeDeliveryId!: string | null;

  /** When the probe was chosen: another is chosen only once this one's claim could have expired. */
  @Column({ name: 'probe_started_at', type: 'timestamptz', nullable: true })
  probeStartedAt!: Date | null;

  /** Since when the worker finds this endpoint slow (null: healthy); written on changes only. */
  @Column({ name: 'slow_since', type: 'timestamptz', nullable: true })
  slowSince!: Date | null;

  /**
   * What an event's body must contain (jsonb `@>`) for this webhook to get it; null: every
   * subscribed event (README → Payload filters).
   */
  @Column({ type: 'jsonb', nullable: true })
  filter!: Record<string, unknown> | null;

  @Column({ name: 'last_delivery', type: 'jsonb', nullable: true })
  lastDelivery!: LastDelivery | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
