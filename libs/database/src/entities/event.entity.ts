import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A published event as received by fan-out; `body` is the exact JSON that is delivered and signed. */
@Entity({ name: 'events' })
@Index('IDX_events_created', ['createdAt'])
export class EventEntity {
  /** The envelope id (any string from publishers) or a UUID given at fan-out. */
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  body!: string;

  /** SHA-256 of the envelope's content (timestamp aside); null on rows older than the column. */
  @Column({ type: 'text', nullable: true })
  fingerprint!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
