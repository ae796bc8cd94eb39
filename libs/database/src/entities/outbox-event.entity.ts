import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * Transactional outbox: events written in the same transaction as the change they describe and
 * relayed to the queue after commit (row id = event id = job id, so a re-relay is deduplicated).
 */
@Entity({ name: 'event_outbox' })
export class OutboxEventEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** An EventEnvelope (libs/events); typed loosely here so the database lib stays below events. */
  @Column({ type: 'jsonb' })
  envelope!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
