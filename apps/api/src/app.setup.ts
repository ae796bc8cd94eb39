import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Server } from 'node:http';
import { configureBodyParsing } from './common/body-parsing';
import { configureHttpServer } from './common/http-server';
import { ApiMetrics } from './metrics/api-metrics';
import { requestLogger } from './common/request-logger';
import { setupOpenApi } from './openapi';

/** Everything main.ts and the e2e tests both need on top of ApiModule. */
export function configureApiApp(app: INestApplication, logger: Logger): void {
  const express = app.getHttpAdapter().getInstance() as {
    disable(setting: string): void;
    set(setting: string, value: unknown): void;
  };
  configureHttpServer(app.getHttpServer() as Server);
  express.disable('x-powered-by');
  express.set('query parser', 'simple');
  app.use(requestLogger(logger));
  app.use(app.get(ApiMetrics).middleware());
  configureBodyParsing(app);
  setupOpenApi(app);
  app.enableShutdownHooks();
}
