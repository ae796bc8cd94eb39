import type { DynamicModule, INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Server } from 'node:http';
import { authenticateBeforeBody } from './auth/authenticate-before-body';
import { configureBodyParsing } from './common/body-parsing';
import { AppConfig } from '@app/config';
import { ApiModule } from './api.module';
import {
  configureHttpServer,
  HardenedExpressAdapter,
  SERVER_LIMITS,
  ServerLimits,
} from './common/http-server';
import { ApiMetrics } from './metrics/api-metrics';
import { requestLogger } from './common/request-logger';
import { setupOpenApi } from './openapi/openapi';
import { configurePortal } from './portal/configure-portal';

/** Everything main.ts and the e2e tests both need on top of ApiModule. */
function configureApiApp(app: INestApplication, logger: Logger, limits: ServerLimits): void {
  const express = app.getHttpAdapter().getInstance() as {
    disable(setting: string): void;
    set(setting: string, value: unknown): void;
  };
  configureHttpServer(app.getHttpServer() as Server, limits);
  express.disable('x-powered-by');
  express.set('query parser', 'simple');
  app.use(requestLogger(logger));
  app.use(app.get(ApiMetrics).middleware());
  configurePortal(app);
  app.use(authenticateBeforeBody());
  configureBodyParsing(app);
  setupOpenApi(app);
  app.enableShutdownHooks();
}

/**
 * How the API is assembled around its module: the hardened HTTP adapter, no Nest body parser (we
 * parse bodies ourselves), then `configureApiApp`. main.ts and every in-process test use this.
 */
export function apiApplication(
  config: AppConfig,
  logger: Logger,
  limits: ServerLimits = SERVER_LIMITS,
): {
  module: DynamicModule;
  adapter: HardenedExpressAdapter;
  bodyParser: false;
  configure(app: INestApplication): void;
} {
  return {
    module: ApiModule.forRoot(config),
    adapter: new HardenedExpressAdapter(limits),
    bodyParser: false,
    configure: (app) => configureApiApp(app, logger, limits),
  };
}
