import { BadRequestException, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import {
  clipEchoes,
  MAX_ECHOED_CHARS,
  MAX_ERROR_BYTES,
  MAX_LISTED_ERRORS,
  MAX_MESSAGE_CHARS,
  RequestValidationException,
  toErrorBody,
} from './error-body';

describe('toErrorBody', () => {
  it('never lets internals out of a 500', () => {
    const error = new Error(
      'connect ECONNREFUSED 10.0.0.5:5432 at Pool.connect (/app/node_modules/pg/lib/index.js)',
    );
    expect(toErrorBody(error)).toEqual({ code: 500, message: 'Internal server error' });
    const sql = new QueryFailedError(
      'SELECT * FROM webhooks WHERE secret = $1',
      ['whsec_x'],
      new Error('syntax error'),
    );
    expect(toErrorBody(sql)).toEqual({ code: 500, message: 'Internal server error' });
    expect(toErrorBody('a thrown string')).toEqual({ code: 500, message: 'Internal server error' });
    expect(toErrorBody(null)).toEqual({ code: 500, message: 'Internal server error' });
  });

  it('answers a database limit with 503, whatever the statement', () => {
    const canceled = new DatabaseError('canceling statement due to statement timeout', 0, 'error');
    canceled.code = '57014';
    const busy = { code: 503, message: 'Database busy, try again later' };
    expect(toErrorBody(new QueryFailedError('SELECT * FROM webhooks', [], canceled))).toEqual(busy);
    expect(toErrorBody(new Error('timeout exceeded when trying to connect'))).toEqual(busy);
  });

  it('keeps HTTP exceptions as {code, message}; 401 is always "Access denied"', () => {
    expect(toErrorBody(new NotFoundException('Webhook not found'))).toEqual({
      code: 404,
      message: 'Webhook not found',
    });
    expect(toErrorBody(new UnauthorizedException('jwt expired'))).toEqual({
      code: 401,
      message: 'Access denied',
    });
    expect(toErrorBody(new BadRequestException(['a is wrong', 'b is wrong']))).toEqual({
      code: 400,
      message: 'a is wrong; b is wrong',
    });
  });

  it('adds the field errors of a validation failure', () => {
    const body = toErrorBody(
      new RequestValidationException([
        { field: 'url', message: 'url must be an absolute http or https URL' },
      ]),
    );
    expect(body).toEqual({
      code: 400,
      message: 'url must be an absolute http or https URL',
      errors: [{ field: 'url', message: 'url must be an absolute http or https URL' }],
    });
  });

  it('lists at most 20 field errors and says how many more there were', () => {
    const errors = Array.from({ length: 9_000 }, (_, i) => ({
      field: `f${i}`,
      message: `property f${i} should not exist`,
    }));
    const body = toErrorBody(new RequestValidationException(errors));
    expect(body.errors).toEqual(errors.slice(0, MAX_LISTED_ERRORS));
    expect(body.message).toMatch(
      /^property f0 should not exist; .*property f19 should not exist; and 8980 more$/,
    );
    expect(JSON.stringify(body).length).toBeLessThan(3_000);
    const exactly = toErrorBody(new RequestValidationException(errors.slice(0, 20)));
    expect(exactly.message).not.toMatch(/more/);
  });

  it('maps body-parser errors to 400, 413 and 415', () => {
    expect(toErrorBody({ status: 400, type: 'entity.parse.failed' })).toEqual({
      code: 400,
      message: 'Malformed JSON in request body',
    });
    expect(toErrorBody({ status: 413, type: 'entity.too.large' }).code).toBe(413);
    expect(toErrorBody({ status: 415, type: 'charset.unsupported' }).code).toBe(415);
    expect(toErrorBody({ status: 500, type: 'stream.not.readable' })).toEqual({
      code: 500,
      message: 'Internal server error',
    });
  });
});

describe('error text that echoes input', () => {
  it('cuts every echoed name or value at 64 characters with …, in the field and in each message', () => {
    const name = 'k'.repeat(100_000);
    const body = toErrorBody(
      new RequestValidationException([{ field: name, message: `property ${name} should not exist` }]),
    );
    const clipped = `${'k'.repeat(MAX_ECHOED_CHARS)}…`;
    expect(body).toEqual({
      code: 400,
      message: `property ${clipped} should not exist`,
      errors: [{ field: clipped, message: `property ${clipped} should not exist` }],
    });
  });

  it('cuts each name of a path, never half of a surrogate pair', () => {
    expect(clipEchoes(`headers.${'h'.repeat(65)} is wrong`)).toBe(`headers.${'h'.repeat(64)}… is wrong`);
    expect(clipEchoes(`${'a'.repeat(MAX_ECHOED_CHARS - 1)}😀tail`)).toBe(
      `${'a'.repeat(MAX_ECHOED_CHARS - 1)}…`,
    );
  });

  it('caps the top-level message and keeps how many more there were', () => {
    const errors = Array.from({ length: 500 }, (_, i) => ({
      field: `f${i}`,
      message: `f${i} ${'must be something else entirely '.repeat(10)}`,
    }));
    const body = toErrorBody(new RequestValidationException(errors));
    expect(body.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS + 20);
    expect(body.message).toMatch(/…; and 480 more$/);
  });

  it('leaves listed errors off until the answer fits in MAX_ERROR_BYTES, whatever the characters', () => {
    const wide = '\u4e00'.repeat(MAX_ECHOED_CHARS);
    const errors = Array.from({ length: 40 }, (_, i) => ({
      field: `${wide}${i}`,
      message: `${wide} ${wide} ${wide} must be ${wide} ${i}`,
    }));
    const body = toErrorBody(new RequestValidationException(errors));
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThanOrEqual(MAX_ERROR_BYTES);
    const listed = body.errors?.length ?? 0;
    expect(listed).toBeGreaterThan(0);
    expect(body.message).toMatch(new RegExp(`; and ${40 - listed} more$`));
  });

  it('clips the message of any HTTP exception (a 404 echoing the path)', () => {
    const body = toErrorBody(new NotFoundException(`Cannot GET /${'p'.repeat(16_000)}`));
    expect(body.message).toBe(`Cannot GET /${'p'.repeat(MAX_ECHOED_CHARS - 1)}…`);
  });
});
