import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { secretColumn } from '../secret-column';

/** A browser's portal session (README → Portal): only the SHA-256 of the cookie's value is kept. */
@Entity({ name: 'portal_sessions' })
@Index('IDX_portal_sessions_expires', ['expiresAt'])
// A user's, for an erasure (README → API → Erasure).
@Index('IDX_portal_sessions_user', ['userId'])
export class PortalSessionEntity {
  /** Hex SHA-256 of the session cookie's value. */
  @PrimaryColumn({ name: 'id_hash', type: 'text' })
  idHash!: string;

  /** Sent back by the pages in `x-csrf-token` on every state-changing request. */
  @Column({ name: 'csrf_token', type: 'text' })
  csrfToken!: string;

  @Column({ name: 'user_id', type: 'text' })
  userId!: string;

  @Column({ type: 'text', nullable: true })
  nickname!: string | null;

  @Column({ type: 'text', array: true })
  orgs!: string[];

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ name: 'access_token', type: 'text', transformer: secretColumn })
  accessToken!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
