import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal';
import { findOwnedWebhook } from '../webhooks/owned-webhook';
import type { DeliveryStatsResponse } from './dto/delivery-stats.response';

const HOUR_MS = 3_600_000;
export const STATS_HOURS = 24;

/** Successes and failures per hour from the attempt log (the portal's chart; README → Portal). */
@Injectable()
export class DeliveryStatsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async lastDay(principal: Principal, webhookId: string, now = Date.now()): Promise<DeliveryStatsResponse> {
    await findOwnedWebhook(this.dataSource.manager, principal, webhookId);
    // Whole UTC hours, counted here rather than by the database's time zone.
    const first = new Date(Math.floor(now / HOUR_MS) * HOUR_MS - (STATS_HOURS - 1) * HOUR_MS);
    const rows: Array<{ hour: Date; succeeded: number; failed: number }> = await this.dataSource.query(
      `SELECT hours.hour,
              count(a.id) FILTER (WHERE a.success)::int AS succeeded,
              count(a.id) FILTER (WHERE NOT a.success)::int AS failed
         FROM generate_series($2::timestamptz, $2::timestamptz + interval '${STATS_HOURS - 1} hours', interval '1 hour')
              AS hours(hour)
         LEFT JOIN delivery_attempts a
           ON a.webhook_id = $1 AND a.created_at >= hours.hour AND a.created_at < hours.hour + interval '1 hour'
        GROUP BY hours.hour
        ORDER BY hours.hour`,
      [webhookId, first],
    );
    return {
      hours: rows.map((row) => ({
        hour: new Date(row.hour).toISOString(),
        succeeded: row.succeeded,
        failed: row.failed,
      })),
    };
  }
}
