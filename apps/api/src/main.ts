import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit, queueTarget } from '@app/config';
import { assertDatabaseReachable, prepareDatabase } from '@app/database';
import { createLogger, PinoNestLogger } from '@app/logging';
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
  logger.info({ port: config.port, host: config.host }, 'Event-API listening');
  await warnIfRedisUnreachable(queueTarget(config), logger);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Event-API failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
