import { TokenExpiredError } from 'jsonwebtoken';
import { refusalReason, TokenRefusedException } from './token-refusal';

describe('refusalReason: why a token was refused, in fixed words', () => {
  it('names the reason of a refusal decided on the claims', () => {
    expect(refusalReason(new TokenRefusedException('no sub claim'), undefined)).toBe('no sub claim');
  });

  it('gives the expiry time of an expired token', () => {
    const expired = new TokenExpiredError('jwt expired', new Date('2026-01-02T03:04:05Z'));
    expect(refusalReason(null, expired)).toBe('expired at 2026-01-02T03:04:05.000Z');
  });

  it('never repeats an unknown error text, which may quote the token', () => {
    const error = new Error('secretOrPublicKey is odd for <script>token-text</script>');
    error.name = 'JsonWebTokenError';
    expect(refusalReason(null, error)).toBe('refused by the verifier (JsonWebTokenError)');
    expect(refusalReason(null, new Error('jwt audience invalid. expected: a'))).toBe(
      'wrong audience (aud does not match JWT_AUDIENCE)',
    );
  });
});
