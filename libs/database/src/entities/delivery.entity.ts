import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { EventEntity } from './event.entity';
import { WebhookEntity } from './webhook.entity';

/**
 * `paused`: due, but parked while its webhook's circuit is open (README → Fair delivery).
 * `queued`: a fifo webhook's delivery waiting for its turn (README → Ordered delivery).
 */
export type DeliveryStatus = 'pending' | 'paused' | 'queued' | 'succeeded' | 'failed' | 'dropped';

/**
 * One event for one webhook: the source of truth for delivery state. The queue job carrying it
 * is transport only; the sweeper re-enqueues pending rows whose job was lost.
 */
@Entity({ name: 'deliveries' })
@Unique('UQ_deliveries_event_webhook', ['eventId', 'webhookId'])
@Index('IDX_deliveries_due', ['nextAttemptAt', 'id'], { where: `"status" = 'pending'` })
@Index('IDX_deliveries_webhook', ['webhookId'])
// The parked backlog of a paused webhook, released in due order when its circuit closes.
@Index('IDX_deliveries_paused', ['webhookId', 'nextAttemptAt'], { where: `"status" = 'paused'` })
// A webhook's failed deliveries by when they ended: POST /webhooks/{id}/recover's window.
@Index('IDX_deliveries_failed', ['webhookId', 'updatedAt'], { where: `"status" = 'failed'` })
// A fifo webhook's line (its head and those queued behind it), in publish order; only fifo rows enter
// it, so other webhooks' deliveries pay nothing for it (README → Ordered delivery).
@Index('IDX_deliveries_fifo', ['webhookId', 'publishedAt', 'fifoSeq'], {
  where: `"fifo_seq" IS NOT NULL AND "status" IN ('queued', 'pending', 'paused')`,
})
@Check(
  'CHK_deliveries_status',
  `"status" IN ('pending', 'paused', 'queued', 'succeeded', 'failed', 'dropped')`,
)
export class DeliveryEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  @ManyToOne(() => EventEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id', foreignKeyConstraintName: 'FK_deliveries_event' })
  event?: EventEntity;

  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId!: string;

  @ManyToOne(() => WebhookEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id', foreignKeyConstraintName: 'FK_deliveries_webhook' })
  webhook?: WebhookEntity;

  @Column({ type: 'text', default: 'pending' })
  status!: DeliveryStatus;

  /** Attempts made so far (scheduled and manual). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  /** Claimed by a worker until then; a killed worker's claim simply expires. */
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  /** A fifo webhook's delivery: its event's timestamp, the first key of publish order; else null. */
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  /** A fifo webhook's delivery: the order the fan-out recorded it in (ties of publishedAt); else null. */
  @Column({ name: 'fifo_seq', type: 'bigint', nullable: true })
  fifoSeq!: string | null;

  /**
   * When it first ended failed; kept when it is recovered: delivery.exhausted is published once, and a
   * recovered delivery's attempts are known as caused by its owner (README → Operational events).
   */
  @Column({ name: 'exhausted_at', type: 'timestamptz', nullable: true })
  exhaustedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
