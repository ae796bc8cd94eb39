import { ForbiddenException, Injectable } from '@nestjs/common';
import type { WebhookEntity } from '@app/database';
import type { Principal } from '../auth/principal';
import { CoreApiClient } from './core-api.client';

/** The caller's own id or one of the organizations its token lists (README → API → Entitlements). */
export function mayActFor(principal: Principal, userId: string): boolean {
  return userId === principal.id || principal.orgs.includes(userId);
}

/**
 * What a caller is entitled to, checked with what the platform gives: the token's `sub` and `orgs`,
 * and the Core-API for `apiId`. Checked when a webhook is written and again whenever it is managed,
 * so an entitlement lost since creation cannot be used to redirect or replay events.
 */
@Injectable()
export class Entitlements {
  constructor(private readonly coreApi: CoreApiClient) {}

  /** The `userId` a caller writes must be its own id or one of its token's organizations. */
  assertMayActFor(principal: Principal, userId: string): void {
    if (!mayActFor(principal, userId)) {
      throw new ForbiddenException(
        'userId must be your own user id or one of the organizations in your token',
      );
    }
  }

  /** An `apiId` the caller writes must be one the Core-API lets it see. */
  assertApiAccessible(principal: Principal, apiId: string): Promise<void> {
    return this.coreApi.assertApiAccessible(apiId, principal.token);
  }

  /**
   * Managing a webhook (update, ping, redeliver, recover, rotate the secret) needs, now, what creating it
   * needed: membership of its organization, and access to its API unless the update replaces the
   * apiId (`checkApi: false`; the new one is checked instead). Viewing and deleting stay allowed.
   */
  async assertMayManage(
    principal: Principal,
    webhook: Pick<WebhookEntity, 'userId' | 'apiId'>,
    { checkApi = true }: { checkApi?: boolean } = {},
  ): Promise<void> {
    if (!mayActFor(principal, webhook.userId)) {
      throw new ForbiddenException(
        `Your token no longer lists organization ${webhook.userId}: this webhook can be viewed and deleted, not managed`,
      );
    }
    if (checkApi && webhook.apiId) await this.coreApi.assertApiAccessible(webhook.apiId, principal.token);
  }
}
