import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit } from '@app/config';
import { prepareDatabase } from '@app/database';
import { createLogger, PinoNestLogger } from '@app/logging';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'event-api-worker');
  if (config.dbMigrateOnStart) await prepareDatabase(config.databaseUrl);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new PinoNestLogger(logger),
  });
  // SIGTERM/SIGINT close the context: consumers stop, connections close, the process exits.
  app.enableShutdownHooks();
  logger.info('Event-API worker started');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Event-API worker failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
