import { createPublicKey } from 'node:crypto';
import { Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import type { Algorithm } from 'jsonwebtoken';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig, JwtConfig } from '@app/config';
import { Principal } from './principal';
import { parseOrgs, parseScopes } from './scopes';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_GLOBAL = /[\u0000-\u001f\u007f]/g;

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

function keyOptions(jwt: JwtConfig) {
  if (jwt.jwksUri !== undefined) {
    return {
      secretOrKeyProvider: passportJwtSecret({
        jwksUri: jwt.jwksUri,
        cache: true,
        rateLimit: true,
        jwksRequestsPerMinute: 10,
      }),
    };
  }
  return { secretOrKey: (jwt.publicKey ?? jwt.secret) as string };
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: AppConfig) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      algorithms: algorithmsFor(config.jwt),
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      passReqToCallback: true,
      ...keyOptions(config.jwt),
    });
    if (config.jwt.usingDevelopmentSecret) {
      new Logger('Auth').warn(
        'No JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URI set: accepting tokens signed with the fixed ' +
          'DEVELOPMENT secret. Never run like this in production.',
      );
    }
  }

  validate(request: Request, payload: Record<string, unknown>): Principal {
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.trim() === '' || sub.length > 255 || CONTROL.test(sub)) {
      throw new UnauthorizedException();
    }
    const nickname =
      typeof payload.nickname === 'string' ? payload.nickname.replace(CONTROL_GLOBAL, '').slice(0, 255) : '';
    return {
      id: sub,
      nickname: nickname === '' ? null : nickname,
      scopes: parseScopes(payload),
      orgs: parseOrgs(payload.orgs),
      token: ExtractJwt.fromAuthHeaderAsBearerToken()(request) ?? '',
    };
  }
}
