import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { DatabaseProbe } from '@app/database';
import { createHardenedServer } from '@app/http';
import { runHealthChecks, scrapeAllowed } from '@app/health';
import { WorkerMetrics } from './metrics/worker-metrics';
import { RedisConnection } from './redis-connection';

/**
 * GET /health and GET /metrics on WORKER_PORT: the worker has no other HTTP surface, so plain node:http
 * does, on the product's hardened server (its limits, error shape and socket rules: README → Security).
 */
@Injectable()
export class HealthServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HealthServer.name);
  private server?: Server;

  constructor(
    private readonly config: AppConfig,
    private readonly database: DatabaseProbe,
    private readonly redis: RedisConnection,
    private readonly metrics: WorkerMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.server = createHardenedServer((request, response) => {
      const path = request.url?.split('?')[0];
      if (request.method === 'GET' && path === '/metrics') {
        if (!scrapeAllowed(request.headers.authorization, this.config.metricsToken)) {
          response.writeHead(401, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ code: 401, message: 'Access denied' }));
          return;
        }
        this.metrics.registry.metrics().then(
          (text) => {
            response.writeHead(200, { 'content-type': this.metrics.registry.contentType });
            response.end(text);
          },
          (error: Error) => {
            response.writeHead(503, { 'content-type': 'application/json' });
            response.end(JSON.stringify({ code: 503, message: `metrics unavailable: ${error.message}` }));
          },
        );
        return;
      }
      if (request.method !== 'GET' || path !== '/health') {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ code: 404, message: 'Not found' }));
        return;
      }
      void runHealthChecks({
        database: () => this.database.check(),
        redis: () => this.redis.client.ping(),
      }).then((report) => {
        response.writeHead(report.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
        response.end(JSON.stringify(report));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject).listen(this.config.workerPort, this.config.host, resolve);
    });
    // main.ts says where at info, once the whole worker is up.
    this.logger.debug(
      `Health and metrics on ${this.config.host}:${this.config.workerPort} (/health, /metrics)`,
    );
  }

  /** The bound port (WORKER_PORT, or the one the OS picked for 0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
