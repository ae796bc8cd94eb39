import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ed25519Jwk, Ed25519Jwk } from '@app/signing';
import { isUuid } from '../webhooks/owned-webhook';

/**
 * Only the public columns are read: the route is public, and loading the entity would open the
 * sealed private keys for nothing. A previous key is listed only while it still signs.
 */
const PUBLIC_KEYS_SQL = `
  SELECT public_key AS "current",
         CASE WHEN previous_secret_expires_at > now() THEN previous_public_key END AS "previous"
    FROM webhooks WHERE id = $1`;

export const NO_KEYS_MESSAGE = 'Webhook not found, or its deliveries are not signed with Ed25519';

@Injectable()
export class JwksService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The Ed25519 public keys that sign the webhook's deliveries now, newest first; 404 when there are none. */
  async keys(id: string): Promise<Ed25519Jwk[]> {
    if (!isUuid(id)) throw new NotFoundException(NO_KEYS_MESSAGE);
    const [row] = await this.dataSource.query<Array<{ current: string | null; previous: string | null }>>(
      PUBLIC_KEYS_SQL,
      [id],
    );
    const keys = [row?.current, row?.previous].filter((key): key is string => typeof key === 'string');
    // Unknown and HMAC-signed webhooks alike: nothing tells a caller which ids exist.
    if (keys.length === 0) throw new NotFoundException(NO_KEYS_MESSAGE);
    return keys.map(ed25519Jwk);
  }
}
