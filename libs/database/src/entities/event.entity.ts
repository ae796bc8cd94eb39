import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A published event as received by fan-out; `body` is the exact JSON that is delivered and signed. */
@Entity({ name: 'events' })
@Index('IDX_events_created', ['createdAt'])
// A user's events, for an erasure (README → API → Erasure): those it owns, and those it caused for
// another owner (user_id is null where the actor is the owner, so that index stays small).
@Index('IDX_events_owner', ['ownerId'], { where: `"owner_id" IS NOT NULL` })
@Index('IDX_events_user', ['userId'], { where: `"user_id" IS NOT NULL` })
export class EventEntity {
  /** The envelope id (any string from publishers) or a UUID given at fan-out. */
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  body!: string;

  /** SHA-256 of the envelope's content (timestamp aside); null on rows older than the column, and once erased. */
  @Column({ type: 'text', nullable: true })
  fingerprint!: string | null;

  /** The envelope's `ownerId`; null without one, and once erased. */
  @Column({ name: 'owner_id', type: 'text', nullable: true })
  ownerId!: string | null;

  /**
   * The envelope's `user.id` (who acted) where it is not its `ownerId`: an event its owner caused is
   * found by owner_id, so IDX_events_user holds only what it alone finds. Null once erased.
   */
  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId!: string | null;

  /**
   * Set when an erasure removed the body (README → API → Erasure): the row stays, its body empty and
   * its owner, user and fingerprint null, so that a re-publish of the id delivers nothing.
   */
  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true })
  erasedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
