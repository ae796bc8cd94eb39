import { Client, DatabaseError } from 'pg';
import { maskUrl } from '@app/netguard';

const PG_INVALID_CATALOG_NAME = '3D000';
/** Long enough for a slow managed database, short enough that a dropped packet is not a silent hang. */
const CONNECT_TIMEOUT_MS = 10_000;

export function databaseNameOf(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, '')) || 'postgres';
}

/**
 * The one line for a PostgreSQL that cannot be used at start: where (the URL, password masked),
 * why (the driver's words), and what to change. node-postgres alone says only
 * `connect ECONNREFUSED 127.0.0.1:5432`, which names neither PostgreSQL nor the variable.
 */
export function databaseConnectionProblem(databaseUrl: string, error: unknown): string {
  const where = `PostgreSQL at ${maskUrl(databaseUrl)} (DATABASE_URL)`;
  const said = (error instanceof Error ? error.message : String(error)).replace(/\.+$/, '');
  // node-postgres words a connect timeout as "timeout expired" or "…due to connection timeout".
  const reason = /timeout expired|connection timeout/i.test(said)
    ? `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`
    : said;
  if (error instanceof DatabaseError) {
    if (error.code === PG_INVALID_CATALOG_NAME) {
      return `${where}: database "${databaseNameOf(databaseUrl)}" does not exist. Create it, or set DB_MIGRATE_ON_START=true to have it created`;
    }
    if (error.code?.startsWith('28')) {
      return `${where} refused the login: ${reason}. Check the user name and password in DATABASE_URL (and the server's pg_hba.conf)`;
    }
    return `${where} refused the connection: ${reason}. Check DATABASE_URL`;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (/CERT|TLS|SSL/i.test(`${code} ${reason}`)) {
    return `${where}: ${reason}. Check sslmode and sslrootcert in DATABASE_URL`;
  }
  return `Cannot reach ${where}: ${reason}. Start PostgreSQL there, or set DATABASE_URL to where it runs`;
}

/**
 * Start-up check of API and worker: one connection to the database in the URL. Resolves with
 * whether the database exists (only when `missingOk`: a missing database is otherwise an error);
 * rejects with databaseConnectionProblem's line.
 */
export async function assertDatabaseReachable(databaseUrl: string, missingOk = false): Promise<boolean> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A connection that fails after connecting would otherwise be an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch (error) {
    if (missingOk && error instanceof DatabaseError && error.code === PG_INVALID_CATALOG_NAME) return false;
    throw new Error(databaseConnectionProblem(databaseUrl, error), { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}
