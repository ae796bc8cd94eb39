import { createPublicKey } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import type { Algorithm } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig, JwtConfig } from '@app/config';
import { isStorableText } from '@app/text';
import { JwksKeySet } from './jwks-key-set';
import { Principal } from './principal';
import { parseOrgs, parseScopes } from './scopes';
import { TokenRefusedException } from './token-refusal';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_GLOBAL = /[\u0000-\u001f\u007f]/g;

/** In a `u` regex a surrogate pair is one code point, so this matches unpaired halves only. */
const LONE_SURROGATE = /[\ud800-\udfff]/gu;

/** Clocks of the Auth-API and ours may differ this much for `exp` and `nbf` (README → Authentication). */
const CLOCK_TOLERANCE_SECONDS = 30;

/** The token's JOSE header, or undefined when it is not a JSON object. */
function jwtHeader(token: string): Record<string, unknown> | undefined {
  try {
    const header = JSON.parse(
      Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'),
    ) as unknown;
    return typeof header === 'object' && header !== null ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * RFC 7515 §4.1.11: a `crit` header lists extensions the recipient must understand; this API
 * understands none, so any `crit` (even an empty one, which the RFC forbids) refuses the token.
 */
function hasCritHeader(token: string): boolean {
  const header = jwtHeader(token);
  return header === undefined || 'crit' in header;
}

/** The algorithm follows from the key, so a token can never choose how it is verified. */
function algorithmsFor(jwt: JwtConfig): Algorithm[] {
  if (jwt.publicKey !== undefined) {
    const key = createPublicKey(jwt.publicKey);
    if (key.asymmetricKeyType === 'ec') return ['ES256'];
    return ['RS256'];
  }
  if (jwt.jwksUri !== undefined) return ['RS256', 'ES256'];
  return ['HS256'];
}

/**
 * With a JWKS, the key comes from the in-memory key set by the token's `kid`; a malformed header
 * or a kid that is not a string is refused without looking (nor fetching) anything.
 */
function keyOptions(jwt: JwtConfig, keySet: JwksKeySet | null) {
  if (keySet !== null) {
    return {
      secretOrKeyProvider: (
        _request: Request,
        token: string,
        done: (error: Error | null, key?: string | Buffer) => void,
      ) => {
        const header = jwtHeader(token);
        const kid = header?.kid;
        if (header === undefined || (kid !== undefined && typeof kid !== 'string')) {
          return done(new Error('invalid header'));
        }
        keySet.keyFor(kid).then(
          // jsonwebtoken verifies with a KeyObject as well; passport-jwt's types predate it.
          (key) => (key ? done(null, key as unknown as Buffer) : done(new Error('unknown key'))),
          (error: Error) => done(error),
        );
      },
    };
  }
  return { secretOrKey: (jwt.publicKey ?? jwt.secret) as string };
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: AppConfig, @Inject(JwksKeySet) keySet: JwksKeySet | null) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_SECONDS },
      algorithms: algorithmsFor(config.jwt),
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      passReqToCallback: true,
      ...keyOptions(config.jwt, keySet),
    });
    if (config.jwt.usingDevelopmentSecret) {
      const line =
        'No JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URI set: accepting tokens signed with the fixed ' +
        'DEVELOPMENT secret. Never run like this in production.';
      // A development launcher has said so already, in its own line (README → Quick start).
      if (config.developmentLaunch.includes('jwt')) new Logger('Auth').debug(line);
      else new Logger('Auth').warn(line);
    }
  }

  validate(request: Request, payload: Record<string, unknown>): Principal {
    const token = ExtractJwt.fromAuthHeaderAsBearerToken()(request) ?? '';
    // A token without exp would never expire.
    if (typeof payload.exp !== 'number') throw new TokenRefusedException('no exp claim');
    if (hasCritHeader(token)) throw new TokenRefusedException('crit header (no extension is understood)');
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.trim() === '') throw new TokenRefusedException('no sub claim');
    if (sub.length > 255 || CONTROL.test(sub) || !isStorableText(sub)) {
      throw new TokenRefusedException('sub over 255 characters or not storable text');
    }
    // The nickname is only shown, never trusted: what cannot be stored is dropped, not refused.
    const nickname =
      typeof payload.nickname === 'string'
        ? payload.nickname.replace(CONTROL_GLOBAL, '').slice(0, 255).replace(LONE_SURROGATE, '')
        : '';
    return {
      id: sub,
      nickname: nickname === '' ? null : nickname,
      scopes: parseScopes(payload),
      orgs: parseOrgs(payload.orgs),
      token,
    };
  }
}
