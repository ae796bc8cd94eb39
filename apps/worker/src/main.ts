import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { listenUrl, loadConfigOrExit, queueTarget } from '@app/config';
import { assertDatabaseReachable, prepareDatabase } from '@app/database';
import { createLogger, PinoNestLogger } from '@app/logging';
import { HealthServer } from './health-server';
import { assertRedisSuitable } from './redis-checks';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'event-api-worker');
  await assertRedisSuitable(queueTarget(config), logger, config.developmentLaunch.includes('appendonly'));
  // Either way a PostgreSQL that cannot be used stops start-up with one line saying why.
  if (config.dbMigrateOnStart) {
    const applied = await prepareDatabase(config.databaseUrl);
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied migrations');
  } else {
    await assertDatabaseReachable(config.databaseUrl);
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new PinoNestLogger(logger),
  });
  // SIGTERM/SIGINT: consumers stop taking jobs, in-flight attempts finish, connections close.
  app.enableShutdownHooks();
  const base = listenUrl(config.host, app.get(HealthServer).port);
  const { concurrency } = config.delivery;
  logger.info(
    { concurrency },
    `Event-API worker started (health ${base}/health, metrics ${base}/metrics, concurrency ${concurrency})`,
  );
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Event-API worker failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
