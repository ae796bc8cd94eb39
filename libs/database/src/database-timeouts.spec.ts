import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { databaseTimeoutOf } from './database-timeouts';

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
