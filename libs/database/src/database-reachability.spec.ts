import { DatabaseError } from 'pg';
import { databaseConnectionProblem } from './database-reachability';

const URL_WITH_PASSWORD = 'postgres://app:hunter2-secret@db.internal:5432/event_api';

function pgError(code: string, message: string): DatabaseError {
  const error = new DatabaseError(message, 0, 'error');
  error.code = code;
  return error;
}

function errno(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('databaseConnectionProblem: one line with where, why and what to change', () => {
  it.each([
    [
      'a refused connection',
      errno('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432'),
      'Cannot reach PostgreSQL at postgres://app:••••@db.internal:5432/event_api (DATABASE_URL): connect ECONNREFUSED 10.0.0.5:5432. Start PostgreSQL there, or set DATABASE_URL to where it runs',
    ],
    [
      'a server that never answers',
      new Error('timeout expired'),
      'Cannot reach PostgreSQL at postgres://app:••••@db.internal:5432/event_api (DATABASE_URL): no answer within 10 s. Start PostgreSQL there, or set DATABASE_URL to where it runs',
    ],
    [
      'a wrong password',
      pgError('28P01', 'password authentication failed for user "app"'),
      'PostgreSQL at postgres://app:••••@db.internal:5432/event_api (DATABASE_URL) refused the login: password authentication failed for user "app". Check the user name and password in DATABASE_URL (and the server\'s pg_hba.conf)',
    ],
    [
      'a missing database',
      pgError('3D000', 'database "event_api" does not exist'),
      'PostgreSQL at postgres://app:••••@db.internal:5432/event_api (DATABASE_URL): database "event_api" does not exist. Create it, or set DB_MIGRATE_ON_START=true to have it created',
    ],
    [
      'too many connections',
      pgError('53300', 'sorry, too many clients already'),
      'PostgreSQL at postgres://app:••••@db.internal:5432/event_api (DATABASE_URL) refused the connection: sorry, too many clients already. Check DATABASE_URL',
    ],
    [
      'an untrusted certificate',
      errno('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      'PostgreSQL at postgres://app:••••@db.internal:5432/event_api (DATABASE_URL): self-signed certificate in certificate chain. Check sslmode and sslrootcert in DATABASE_URL',
    ],
  ])('%s', (_name, error, line) => {
    const message = databaseConnectionProblem(URL_WITH_PASSWORD, error);
    expect(message).toBe(line);
    expect(message).not.toContain('hunter2-secret');
    expect(message).not.toContain('\n');
  });
});
