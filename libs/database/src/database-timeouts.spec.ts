import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { databaseTimeoutOf, databaseUnavailable } from './database-timeouts';

function pgError(code: string, message: string): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

describe('databaseTimeoutOf', () => {
  it('names the limit that was hit, through TypeORM or straight from pg', () => {
    const statement = pgError('57014', 'canceling statement due to statement timeout');
    expect(databaseTimeoutOf(new QueryFailedError('SELECT 1', [], statement))).toBe('statement');
    expect(databaseTimeoutOf(statement)).toBe('statement');
    const lock = pgError('55P03', 'canceling statement due to lock timeout');
    expect(databaseTimeoutOf(new QueryFailedError('DELETE …', [], lock))).toBe('lock');
    expect(databaseTimeoutOf(new Error('timeout exceeded when trying to connect'))).toBe('pool');
    expect(databaseTimeoutOf(new Error('Connection terminated due to connection timeout'))).toBe('pool');
  });

  it('leaves every other error alone', () => {
    expect(databaseTimeoutOf(pgError('23505', 'duplicate key value'))).toBeUndefined();
    expect(databaseTimeoutOf(new QueryFailedError('SELECT', [], new Error('syntax error')))).toBeUndefined();
    // Only pg's errors carry PostgreSQL's codes.
    expect(databaseTimeoutOf(Object.assign(new Error('x'), { code: '57014' }))).toBeUndefined();
    expect(databaseTimeoutOf(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBeUndefined();
    expect(databaseTimeoutOf('timeout exceeded when trying to connect')).toBeUndefined();
    expect(databaseTimeoutOf(null)).toBeUndefined();
  });
});

describe('databaseUnavailable', () => {
  const errno = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

  it.each([
    ['admin shutdown', pgError('57P01', 'terminating connection due to administrator command')],
    ['cannot connect now', pgError('57P03', 'the database system is starting up')],
    ['too many connections', pgError('53300', 'sorry, too many clients already')],
    ['a connection exception', pgError('08006', 'connection failure')],
    ['a deadlock', pgError('40P01', 'deadlock detected')],
    ['a serialization failure', pgError('40001', 'could not serialize access')],
    ['a refused connection', errno('ECONNREFUSED')],
    ['a connection lost under a query', new Error('Connection terminated unexpectedly')],
  ])('%s is the database being unavailable, through TypeORM or not', (_name, error) => {
    expect(databaseUnavailable(error)).toBe(true);
    expect(databaseUnavailable(new QueryFailedError('SELECT 1', [], error))).toBe(true);
  });

  it.each([
    ['a constraint violation', pgError('23505', 'duplicate key value')],
    ['a syntax error', pgError('42601', 'syntax error')],
    ['a statement timeout (busy, not unavailable)', pgError('57014', 'canceling statement')],
    ['any other error', new Error('boom')],
    ['a non-error', 'text'],
  ])('%s is not', (_name, error) => {
    expect(databaseUnavailable(error)).toBe(false);
  });
});
