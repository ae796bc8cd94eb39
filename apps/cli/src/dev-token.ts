import jwt from 'jsonwebtoken';
import type { AppConfig } from '@app/config';
import { fail } from './args';

export interface DevTokenClaims {
  sub: string;
  scope: string;
  orgs?: string;
  nickname?: string;
}

/** A development JWT signed with JWT_SECRET (or the development fallback), as the Auth-API would issue. */
export function signDevToken(config: AppConfig, claims: DevTokenClaims, ttlMs: number): string {
  if (config.jwt.secret === undefined) {
    fail(
      'npm run token signs with JWT_SECRET (HS256); with JWT_PUBLIC_KEY or JWT_JWKS_URI mint tokens with the Auth-API',
    );
  }
  if (config.jwt.usingDevelopmentSecret) {
    process.stderr.write(
      '(JWT_SECRET is not set: signed with the development secret, which the API accepts when it runs without one)\n',
    );
  }
  const payload: Record<string, unknown> = {
    sub: claims.sub,
    scope: claims.scope,
    ...(claims.nickname ? { nickname: claims.nickname } : {}),
    ...(claims.orgs
      ? {
          orgs: claims.orgs
            .split(',')
            .map((org) => org.trim())
            .filter(Boolean),
        }
      : {}),
  };
  return jwt.sign(payload, config.jwt.secret, {
    algorithm: 'HS256',
    expiresIn: Math.floor(ttlMs / 1000),
    ...(config.jwt.issuer ? { issuer: config.jwt.issuer } : {}),
    ...(config.jwt.audience ? { audience: config.jwt.audience } : {}),
  });
}
