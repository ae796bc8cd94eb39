import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { CachedScrape } from '@app/health';

/** The API's Prometheus metrics, on a registry of its own (one per app: tests run several in a process). */
@Injectable()
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'event_api_http_requests_total',
    help: 'HTTP requests by route template, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'event_api_http_request_duration_seconds',
    help: 'HTTP request latency by route template and method',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  /** Collected at most once a second, however often it is scraped. */
  private readonly scrape = new CachedScrape(() => this.registry.metrics());

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'event_api_' });
  }

  /** The Prometheus text for a scrape. */
  text(): Promise<string> {
    return this.scrape.read();
  }

  /** Express middleware: one observation per request, labelled with the matched route template. */
  middleware() {
    return (request: Request, response: Response, next: NextFunction): void => {
      const started = process.hrtime.bigint();
      response.on('finish', () => {
        // The template (`/webhooks/:id`), never the raw path: ids would explode the label set.
        const template = (request.route as { path?: string } | undefined)?.path;
        const route = typeof template === 'string' ? `${request.baseUrl}${template}` : 'unmatched';
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.requests.inc({ method: request.method, route, status: String(response.statusCode) });
        this.duration.observe({ method: request.method, route }, seconds);
      });
      next();
    };
  }
}
