import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { prepareDatabase } from '@app/database';

const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh database for one test run, migrated; its URL is returned. */
export async function createTestDatabase(
  serverUrl = process.env.TEST_POSTGRES_URL ?? DEFAULT_SERVER_URL,
): Promise<string> {
  const url = new URL(serverUrl);
  url.pathname = `/event_api_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await prepareDatabase(url.toString());
  return url.toString();
}

/** Drops a database made by createTestDatabase (and nothing else: the name is checked). */
export async function dropTestDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  if (!/^event_api_test_\d+_[0-9a-f]{8}$/.test(name)) {
    throw new Error(`refusing to drop ${name}: not a test database`);
  }
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
