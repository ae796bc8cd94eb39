import { UnauthorizedException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import { carriesBody, leaveBodyUnread } from '@app/http';
import { toErrorBody } from '../common/error-body';
import type { Principal } from './principal';
import { logRefusal } from './token-refusal';

/**
 * Paths that need no bearer token, whole segments only (`/health-x` is not `/health`): health,
 * metrics, the docs (Swagger UI and its assets, the OpenAPI document), an Ed25519 webhook's public
 * keys, and the portal's pages (its API authenticated itself by then: portalApiMiddleware).
 */
const PUBLIC_PATHS = [
  /^\/health\/?$/i,
  /^\/metrics\/?$/i,
  /^\/docs(\/.*)?$/i,
  /^\/openapi\.(json|yaml)$/i,
  /^\/webhooks\/[^/]+\/jwks\/?$/i,
  /^\/portal(\/.*)?$/i,
];

export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.some((pattern) => pattern.test(path));
}

/**
 * A request that carries a body is authenticated before a byte of the body is read or parsed: an
 * unauthenticated flood of large or deep bodies costs one signature check each, not a JSON parse and
 * a walk. The principal is kept on the request, so the global guard does not verify the token twice.
 * The refusal closes the connection rather than reading the unwanted body to its end.
 */
export function authenticateBeforeBody(graceMs: number) {
  return (request: Request, response: Response, next: NextFunction): void => {
    // A portal request was authenticated by its session cookie just before (portalApiMiddleware).
    if (!carriesBody(request) || isPublicPath(request.path) || request.user !== undefined) {
      next();
      return;
    }
    const authenticate = passport.authenticate(
      'jwt',
      { session: false },
      (error: unknown, principal: Principal | false, info: unknown) => {
        if (error || !principal) {
          logRefusal(request, response, error, info);
          leaveBodyUnread(request, response, graceMs);
          response.status(401).json(toErrorBody(new UnauthorizedException()));
          return;
        }
        request.user = principal;
        next();
      },
    ) as (request: Request, response: Response, next: NextFunction) => void;
    authenticate(request, response, next);
  };
}
