import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { scrapeAllowed } from '@app/health';
import { createHardenedServer } from '@app/http';
import { ApiMetrics } from './api-metrics';

function answer(response: ServerResponse, code: number, message: string): void {
  response.writeHead(code, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify({ code, message }));
}

/**
 * With METRICS_PORT set, /metrics is served on a listener of its own (plain node:http, nothing else
 * on it), so it can be kept off the public network and a scrape flood never queues behind the API. It
 * is the product's hardened server, like every listener (limits, error shape, sockets: README → Security).
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: ApiMetrics,
  ) {}

  /** The bound port (METRICS_PORT, or the one the OS picked for 0); undefined when not listening. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.metricsPort === undefined) return;
    const server = createHardenedServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        answer(response, 404, 'Not Found');
        return;
      }
      if (!scrapeAllowed(request.headers.authorization, this.config.metricsToken)) {
        answer(response, 401, 'Access denied');
        return;
      }
      this.metrics.text().then(
        (text) => {
          response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
          response.end(text);
        },
        () => answer(response, 503, 'Metrics unavailable'),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject).listen(this.config.metricsPort, this.config.host, resolve);
    });
    this.server = server;
    this.logger.log(`Metrics on ${this.config.host}:${this.port} (/metrics)`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
