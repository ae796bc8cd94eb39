import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';
import { SecretBox } from '@app/signing';
import type { Principal } from '../auth/principal';
import { newToken, tokenHash } from './portal-tokens';

/** How long a one-time link can be used (README → Portal). */
export const LINK_TTL_MS = 15 * 60_000;

/** Expired links and sessions are deleted this long after they ended (a used link says "used" until then). */
const KEEP_ENDED_MS = 24 * 3_600_000;

export interface PortalSession {
  readonly principal: Principal;
  readonly csrfToken: string;
  readonly expiresAt: Date;
  /** Hash of the cookie's value: what logout deletes. */
  readonly idHash: string;
}

/** Why a link opened no session. */
export type LinkRefusal = 'used' | 'expired' | 'unknown';

interface Row {
  user_id: string;
  nickname: string | null;
  orgs: string[];
  scopes: string[];
  access_token: string;
  expires_at: Date;
}

/**
 * Links and sessions in PostgreSQL (portal_links, portal_sessions): tokens are kept as SHA-256 hashes, the
 * bearer token the link was minted with sealed like webhook secrets (the Core-API checks of an apiId need it).
 */
@Injectable()
export class PortalSessions {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly box: SecretBox,
    private readonly config: AppConfig,
  ) {}

  /** A one-time link's token for `principal`, valid 15 minutes and never past the bearer token's `exp`. */
  async mintLink(principal: Principal, tokenExpiresAt: Date): Promise<{ token: string; expiresAt: Date }> {
    const token = newToken();
    const expiresAt = new Date(Math.min(Date.now() + LINK_TTL_MS, tokenExpiresAt.getTime()));
    await this.dataSource.query(`DELETE FROM portal_links WHERE expires_at < $1`, [
      new Date(Date.now() - KEEP_ENDED_MS),
    ]);
    await this.dataSource.query(
      `INSERT INTO portal_links (token_hash, user_id, nickname, orgs, scopes, access_token, token_expires_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        tokenHash(token),
        principal.id,
        principal.nickname,
        principal.orgs,
        [...principal.scopes],
        this.box.seal(principal.token),
        tokenExpiresAt,
        expiresAt,
      ],
    );
    return { token, expiresAt };
  }

  /**
   * Uses the link (atomically: of two concurrent uses one wins) and opens a session carrying its user,
   * organizations and scopes; or says why not.
   */
  async openSession(
    token: string,
  ): Promise<{ sessionId: string; expiresAt: Date } | { refused: LinkRefusal }> {
    const hash = tokenHash(token);
    return this.dataSource.transaction(async (manager) => {
      // TypeORM answers an UPDATE with [rows, count].
      const [used]: [Array<Row & { token_expires_at: Date }>, number] = await manager.query(
        `UPDATE portal_links SET used_at = now()
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
          RETURNING user_id, nickname, orgs, scopes, access_token, token_expires_at, expires_at`,
        [hash],
      );
      const link = used[0];
      if (!link) {
        const [known] = await manager.query<Array<{ used: boolean }>>(
          `SELECT used_at IS NOT NULL AS used FROM portal_links WHERE token_hash = $1`,
          [hash],
        );
        return { refused: !known ? 'unknown' : known.used ? 'used' : 'expired' };
      }
      await manager.query(`DELETE FROM portal_sessions WHERE expires_at < $1`, [
        new Date(Date.now() - KEEP_ENDED_MS),
      ]);
      const sessionId = newToken();
      const expiresAt = new Date(
        Math.min(Date.now() + this.config.portal.sessionTtlMs, new Date(link.token_expires_at).getTime()),
      );
      await manager.query(
        `INSERT INTO portal_sessions (id_hash, csrf_token, user_id, nickname, orgs, scopes, access_token, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          tokenHash(sessionId),
          newToken(),
          link.user_id,
          link.nickname,
          link.orgs,
          link.scopes,
          link.access_token,
          expiresAt,
        ],
      );
      return { sessionId, expiresAt };
    });
  }

  /** The live session of one of a request's cookie values, if any. */
  async find(sessionIds: readonly string[]): Promise<PortalSession | undefined> {
    if (sessionIds.length === 0) return undefined;
    const hashes = sessionIds.map(tokenHash);
    const rows: Array<Row & { id_hash: string; csrf_token: string }> = await this.dataSource.query(
      `SELECT id_hash, csrf_token, user_id, nickname, orgs, scopes, access_token, expires_at
         FROM portal_sessions WHERE id_hash = ANY($1::text[]) AND expires_at > now()`,
      [hashes],
    );
    // The browser sends the most specific cookie first; keep its order.
    const row = hashes.map((hash) => rows.find((candidate) => candidate.id_hash === hash)).find(Boolean);
    if (!row) return undefined;
    let token: string;
    try {
      token = this.box.open(row.access_token);
    } catch {
      // Sealed with a key no longer configured: the session is as good as ended.
      return undefined;
    }
    return {
      principal: {
        id: row.user_id,
        nickname: row.nickname,
        scopes: new Set(row.scopes),
        orgs: row.orgs,
        token,
      },
      csrfToken: row.csrf_token,
      expiresAt: new Date(row.expires_at),
      idHash: row.id_hash,
    };
  }

  async end(session: PortalSession): Promise<void> {
    await this.dataSource.query(`DELETE FROM portal_sessions WHERE id_hash = $1`, [session.idHash]);
  }
}
