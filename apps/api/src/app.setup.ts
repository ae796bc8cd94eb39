import type { DynamicModule, INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '@app/config';
import { SERVER_LIMITS, ServerLimits } from '@app/http';
import { authenticateBeforeBody } from './auth/authenticate-before-body';
import { configureBodyParsing, leaveOtherBodiesUnread } from './common/body-parsing';
import { ApiModule } from './api.module';
import { HardenedExpressAdapter } from './common/http-server';
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
  const grace = limits.errorCloseGraceMs;
  express.disable('x-powered-by');
  express.set('query parser', 'simple');
  app.use(requestLogger(logger));
  app.use(app.get(ApiMetrics).middleware());
  // Bodies are read only for the operations that take one, and only once authenticated (README → Security).
  app.use(leaveOtherBodiesUnread(grace));
  configurePortal(app, grace);
  app.use(authenticateBeforeBody(grace));
  configureBodyParsing(app, grace);
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
