import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppConfig, listenUrl, loadConfigOrExit, queueTarget } from '@app/config';
import { assertDatabaseReachable, prepareDatabase } from '@app/database';
import { createLogger, PinoNestLogger } from '@app/logging';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiApplication } from './app.setup';
import { warnIfRedisUnreachable } from './queue/redis-startup-check';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'event-api');
  if (config.dbMigrateOnStart) {
    const applied = await prepareDatabase(config.databaseUrl);
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied migrations');
  } else {
    // Either way a PostgreSQL that cannot be used stops start-up with one line saying why.
    await assertDatabaseReachable(config.databaseUrl);
  }
  const api = apiApplication(config, logger);
  const app = await NestFactory.create(api.module, api.adapter, {
    bodyParser: api.bodyParser,
    logger: new PinoNestLogger(logger),
  });
  api.configure(app);
  await app.listen(config.port, config.host);
  const port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  logger.info({ port, host: config.host }, `Event-API listening on ${where(config, port)}`);
  await warnIfRedisUnreachable(queueTarget(config), logger);
}

/** The one start-up line that matters: every URL a user or an operator opens first. */
function where(config: AppConfig, port: number): string {
  const base = listenUrl(config.host, port);
  const metrics = `${config.metricsPort === undefined ? base : listenUrl(config.host, config.metricsPort)}/metrics`;
  return `${base} (docs ${base}/docs, health ${base}/health, metrics ${metrics})`;
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Event-API failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
