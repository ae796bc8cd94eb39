import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit, queueTarget } from '@app/config';
import { assertDatabaseReachable, prepareDatabase } from '@app/database';
import { createLogger, PinoNestLogger } from '@app/logging';
import { assertRedisSuitable } from './redis-checks';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'event-api-worker');
  await assertRedisSuitable(queueTarget(config), logger);
  // Either way a PostgreSQL that cannot be used stops start-up with one line saying why.
  if (config.dbMigrateOnStart) await prepareDatabase(config.databaseUrl);
  else await assertDatabaseReachable(config.databaseUrl);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new PinoNestLogger(logger),
  });
  // SIGTERM/SIGINT: consumers stop taking jobs, in-flight attempts finish, connections close.
  app.enableShutdownHooks();
  logger.info({ concurrency: config.delivery.concurrency }, 'Event-API worker started');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Event-API worker failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
