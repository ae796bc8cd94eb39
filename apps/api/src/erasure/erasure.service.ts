import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '@app/config';
import { liftStatementTimeout } from '@app/database';
import type { Principal } from '../auth/principal';
import { Entitlements } from '../entitlements/entitlements.service';
import { ErasureReportResponse } from './dto/erasure-report.response';
import {
  DELETE_ATTEMPTS_SQL,
  DELETE_DELIVERIES_SQL,
  DELETE_OUTBOX_SQL,
  DELETE_PORTAL_SQL,
  DELETE_WEBHOOKS_SQL,
  ERASE_EVENTS_SQL,
  LOCK_EVENTS_SQL,
  LOCK_WEBHOOKS_SQL,
} from './erasure.sql';

async function count(manager: EntityManager, sql: string, parameters: unknown[]): Promise<number> {
  const [row] = await manager.query<Array<{ n: number }>>(sql, parameters);
  return row.n;
}

/**
 * Erases what the service holds for a user or organization (README → API → Erasure), in one
 * transaction: its webhooks, their deliveries, attempts, the bodies of its events (`ownerId` or
 * `user.id`) and of the events nobody else needs, lifecycle events not sent yet, its portal sessions
 * and links. Publishes nothing about it.
 */
@Injectable()
export class ErasureService {
  private readonly logger = new Logger('Erasure');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly entitlements: Entitlements,
  ) {}

  async erase(principal: Principal, userId: string): Promise<ErasureReportResponse> {
    this.entitlements.assertMayActFor(principal, userId);
    const report = await this.dataSource.transaction(async (manager) => {
      // Its running time grows with the user's history (measured: README → Erasure); limited, a
      // large history could never be erased. Its lock waits stay bounded like every statement's.
      await liftStatementTimeout(manager, this.config.databaseTimeouts.api.statementMs);
      const webhookIds = (await manager.query<Array<{ id: string }>>(LOCK_WEBHOOKS_SQL, [userId])).map(
        (row) => row.id,
      );
      const attempts = webhookIds.length ? await count(manager, DELETE_ATTEMPTS_SQL, [webhookIds]) : 0;
      const [deliveries] = webhookIds.length
        ? await manager.query<Array<{ n: number; pending: number; eventIds: string[] }>>(
            DELETE_DELIVERIES_SQL,
            [webhookIds],
          )
        : [{ n: 0, pending: 0, eventIds: [] }];
      const [{ ids: eventIds }] = await manager.query<Array<{ ids: string[] }>>(LOCK_EVENTS_SQL, [
        deliveries.eventIds,
        userId,
      ]);
      const [erased] = eventIds.length
        ? await manager.query<Array<{ events: number; dropped: number }>>(ERASE_EVENTS_SQL, [
            eventIds,
            userId,
          ])
        : [{ events: 0, dropped: 0 }];
      const lifecycleEvents = await count(manager, DELETE_OUTBOX_SQL, [userId, webhookIds]);
      const webhooks = webhookIds.length ? await count(manager, DELETE_WEBHOOKS_SQL, [webhookIds]) : 0;
      const [portal] = await manager.query<Array<{ sessions: number; links: number }>>(DELETE_PORTAL_SQL, [
        userId,
      ]);
      return {
        userId,
        webhooks,
        deliveries: deliveries.n,
        pendingDeliveries: deliveries.pending,
        attempts,
        events: erased.events,
        droppedDeliveries: erased.dropped,
        lifecycleEvents,
        portalSessions: portal.sessions,
        portalLinks: portal.links,
      };
    });
    // The record that the request was carried out: ids and counts only.
    this.logger.log(
      `erased the data of ${userId} at the request of ${principal.id}: ${report.webhooks} webhook(s), ${report.deliveries} deliveries (${report.pendingDeliveries} unfinished), ${report.attempts} attempts, ${report.events} event bodies, ${report.droppedDeliveries} other owners' unfinished deliveries of them dropped, ${report.lifecycleEvents} unsent lifecycle event(s), ${report.portalSessions} portal session(s), ${report.portalLinks} portal link(s)`,
    );
    return report;
  }
}
