import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { secretColumn } from '../secret-column';

/**
 * A one-time portal link (README → Portal): only the SHA-256 of its token is kept. Using it sets `used_at`
 * and creates a portal session carrying the same user, organizations and scopes.
 */
@Entity({ name: 'portal_links' })
@Index('IDX_portal_links_expires', ['expiresAt'])
// A user's, for an erasure (README → API → Erasure).
@Index('IDX_portal_links_user', ['userId'])
export class PortalLinkEntity {
  /** Hex SHA-256 of the link's token. */
  @PrimaryColumn({ name: 'token_hash', type: 'text' })
  tokenHash!: string;

  @Column({ name: 'user_id', type: 'text' })
  userId!: string;

  @Column({ type: 'text', nullable: true })
  nickname!: string | null;

  @Column({ type: 'text', array: true })
  orgs!: string[];

  @Column({ type: 'text', array: true })
  scopes!: string[];

  /** The bearer token the link was minted with, sealed like webhook secrets (Core-API checks need it). */
  @Column({ name: 'access_token', type: 'text', transformer: secretColumn })
  accessToken!: string;

  /** The bearer token's `exp`: no session made from this link outlives it. */
  @Column({ name: 'token_expires_at', type: 'timestamptz' })
  tokenExpiresAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
