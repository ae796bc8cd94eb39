import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { DeliveryEntity } from './delivery.entity';

/** One HTTP attempt: the delivery log of GET /webhooks/{id}/deliveries. */
@Entity({ name: 'delivery_attempts' })
@Index('IDX_delivery_attempts_webhook_created', ['webhookId', 'createdAt', 'id'])
@Index('IDX_delivery_attempts_created', ['createdAt'])
@Index('IDX_delivery_attempts_delivery', ['deliveryId'])
export class DeliveryAttemptEntity {
  /** Generated before sending: it is the `x-apitree-delivery` header. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'delivery_id', type: 'uuid' })
  deliveryId!: string;

  @ManyToOne(() => DeliveryEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'delivery_id', foreignKeyConstraintName: 'FK_delivery_attempts_delivery' })
  delivery?: DeliveryEntity;

  /** Denormalized from the delivery so the log lists by webhook without a join. */
  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId!: string;

  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ name: 'event_name', type: 'text' })
  eventName!: string;

  @Column({ type: 'integer' })
  attempt!: number;

  @Column({ type: 'boolean' })
  success!: boolean;

  @Column({ name: 'status_code', type: 'integer', nullable: true })
  statusCode!: number | null;

  /** Response body as text, cut to 1 KiB. */
  @Column({ type: 'text' })
  response!: string;

  /** Why it failed when no usable response came back (timeout, connection error, blocked). */
  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'duration_ms', type: 'integer' })
  durationMs!: number;

  /** The URL the attempt went to, credential parts masked; null: made before requests were recorded. */
  @Column({ name: 'request_url', type: 'text', nullable: true })
  requestUrl!: string | null;

  /** The headers sent, custom header values redacted; null: made before requests were recorded. */
  @Column({ name: 'request_headers', type: 'jsonb', nullable: true })
  requestHeaders!: Record<string, string> | null;

  /** The body sent when it was not the event's body (a Slack rendering); null: the event's body. */
  @Column({ name: 'request_body', type: 'text', nullable: true })
  requestBody!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
