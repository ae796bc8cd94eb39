import { createServer, Server } from 'node:http';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';
import { runHealthChecks } from '@app/health';
import { RedisConnection } from './redis-connection';

/** GET /health on WORKER_PORT: the worker has no other HTTP surface, so plain node:http does. */
@Injectable()
export class HealthServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HealthServer.name);
  private server?: Server;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly redis: RedisConnection,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/health') {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ code: 404, message: 'Not found' }));
        return;
      }
      void runHealthChecks({
        database: () => this.dataSource.query('SELECT 1'),
        redis: () => this.redis.client.ping(),
      }).then((report) => {
        response.writeHead(report.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
        response.end(JSON.stringify(report));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject).listen(this.config.workerPort, this.config.host, resolve);
    });
    this.logger.log(`Health on ${this.config.host}:${this.config.workerPort}/health`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
