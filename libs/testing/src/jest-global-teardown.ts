// Jest runs global hooks outside its module mapper: resolve @app/* through tsconfig paths.
import 'tsconfig-paths/register';
import { dropTestDatabase } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const databaseUrl = process.env.EVENT_API_TEST_DATABASE_URL;
  if (databaseUrl) await dropTestDatabase(databaseUrl);
}
