import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { EventEnvelope } from '@app/events';

/**
 * Transactional outbox: events written in the same transaction as the change they describe and
 * relayed to the queue after commit (row id = event id = job id, so a re-relay is deduplicated).
 */
@Entity({ name: 'event_outbox' })
export class OutboxEventEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'jsonb' })
  envelope!: EventEnvelope;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
