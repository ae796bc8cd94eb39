import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit } from '@app/config';
import { prepareDatabase } from '@app/database';
import { createLogger, PinoNestLogger } from '@app/logging';
import { ApiModule } from './api.module';
import { configureApiApp } from './app.setup';
import { HardenedExpressAdapter } from './common/http-server';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'event-api');
  if (config.dbMigrateOnStart) {
    const applied = await prepareDatabase(config.databaseUrl);
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied migrations');
  }
  const app = await NestFactory.create(ApiModule.forRoot(config), new HardenedExpressAdapter(), {
    bodyParser: false,
    logger: new PinoNestLogger(logger),
  });
  configureApiApp(app, logger);
  await app.listen(config.port, config.host);
  logger.info({ port: config.port, host: config.host }, 'Event-API listening');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Event-API failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
