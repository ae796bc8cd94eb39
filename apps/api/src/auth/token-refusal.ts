import { Logger, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';

/** A refusal decided after the signature was checked (JwtStrategy.validate), with its reason. */
export class TokenRefusedException extends UnauthorizedException {
  constructor(readonly reason: string) {
    super();
  }
}

/**
 * What the verifiers' errors mean, by the start of their message. Only these fixed phrases are
 * logged, never an error's own text: some quote the token's header (`… when using <alg>`).
 */
const REASONS: ReadonlyArray<readonly [string, string]> = [
  ['No auth token', 'no bearer token'],
  ['jwt malformed', 'malformed token'],
  ['invalid token', 'malformed token'],
  ['invalid header', 'malformed header, or a kid that is not a string'],
  ['unknown key', 'unknown kid (no such key in the JWKS)'],
  ['invalid signature', 'bad signature (signed with another key than the one configured)'],
  ['jwt signature is required', 'unsigned token (alg none)'],
  ['please specify "none"', 'unsigned token (alg none)'],
  ['invalid algorithm', 'algorithm not accepted for the configured key'],
  ['secretOrPublicKey must be', 'algorithm not accepted for the configured key'],
  ['jwt audience invalid', 'wrong audience (aud does not match JWT_AUDIENCE)'],
  ['jwt issuer invalid', 'wrong issuer (iss does not match JWT_ISSUER)'],
  ['invalid exp value', 'exp is not a number'],
  ['invalid nbf value', 'nbf is not a number'],
];

/** Why a token was refused, in words safe to log (no token text). */
export function refusalReason(error: unknown, info: unknown): string {
  if (error instanceof TokenRefusedException) return error.reason;
  const cause = error ?? info;
  if (!(cause instanceof Error)) return 'no principal';
  if (cause.name === 'TokenExpiredError') {
    const expiredAt = (cause as Error & { expiredAt?: Date }).expiredAt;
    return `expired${expiredAt instanceof Date ? ` at ${expiredAt.toISOString()}` : ''}`;
  }
  if (cause.name === 'NotBeforeError') return 'not valid yet (nbf is in the future)';
  const known = REASONS.find(([prefix]) => cause.message.startsWith(prefix));
  return known ? known[1] : `refused by the verifier (${cause.name})`;
}

const logger = new Logger('Auth');

/**
 * The caller only ever learns "Access denied"; whoever runs the API can see why at debug level,
 * with the request id of the 401's request line.
 */
export function logRefusal(request: Request, response: Response, error: unknown, info: unknown): void {
  const requestId = response.getHeader('x-request-id');
  logger.debug(
    `Token refused: ${refusalReason(error, info)} (${request.method} ${request.path}, request ${String(requestId)})`,
  );
}
