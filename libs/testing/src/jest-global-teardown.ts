// Jest runs global hooks outside its module mapper: resolve @app/* through tsconfig paths.
import 'tsconfig-paths/register';
import { deleteQueueKeys } from './test-redis';
import { dropTestDatabase } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const databaseUrl = process.env.EVENT_API_TEST_DATABASE_URL;
  if (databaseUrl) await dropTestDatabase(databaseUrl);
  const prefix = process.env.EVENT_API_TEST_QUEUE_PREFIX;
  if (prefix) await deleteQueueKeys(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix);
}
