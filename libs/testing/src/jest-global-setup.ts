// Jest runs global hooks outside its module mapper: resolve @app/* through tsconfig paths.
import 'tsconfig-paths/register';
import { createTestDatabase } from './test-database';

/** Jest globalSetup for e2e: one migrated database per run, handed to the workers through env. */
export default async function globalSetup(): Promise<void> {
  const databaseUrl = await createTestDatabase();
  process.env.DATABASE_URL = databaseUrl;
  process.env.EVENT_API_TEST_DATABASE_URL = databaseUrl;
  // Queue keys of this run live under their own prefix on the shared Redis, deleted at the end.
  process.env.EVENT_API_TEST_QUEUE_PREFIX = `event-api-test-${process.pid}-${Date.now().toString(36)}`;
}
