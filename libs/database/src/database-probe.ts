import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';

/** Connecting, and `SELECT 1`: under the 2 s every health check gets (libs/health). */
const PROBE_TIMEOUT_MS = 1_500;

/** `busy`: PostgreSQL answers, but every connection of the process's pool is in use. */
export type DatabaseState = 'up' | 'busy';

/**
 * The health probe's own connection, outside the pool requests and batches use: a probe queued
 * behind them would report a database that is merely busy as down, and a saturated pool is exactly
 * when an operator needs the truth.
 */
@Injectable()
export class DatabaseProbe implements OnApplicationShutdown {
  private readonly probe: Pool;
  private readonly pool: Pool & { options: { max: number } };

  constructor(@InjectDataSource() dataSource: DataSource, config: AppConfig) {
    this.pool = (dataSource.driver as unknown as { master: DatabaseProbe['pool'] }).master;
    this.probe = new Pool({
      connectionString: config.databaseUrl,
      application_name: 'event-api-health',
      max: 1,
      // Kept open once made: a server out of connection slots must not look down to its probe.
      idleTimeoutMillis: 0,
      connectionTimeoutMillis: PROBE_TIMEOUT_MS,
      statement_timeout: PROBE_TIMEOUT_MS,
    });
    this.probe.on('error', () => undefined);
  }

  /** Rejects when PostgreSQL does not answer in time. */
  async check(): Promise<DatabaseState> {
    await this.probe.query('SELECT 1');
    const saturated = this.pool.totalCount >= this.pool.options.max && this.pool.idleCount === 0;
    return saturated ? 'busy' : 'up';
  }

  async onApplicationShutdown(): Promise<void> {
    await this.probe.end();
  }
}
