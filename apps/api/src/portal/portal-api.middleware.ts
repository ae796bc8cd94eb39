import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '@app/config';
import { carriesBody, leaveBodyUnread } from '@app/http';
import type { Principal } from '../auth/principal';
import { clipEchoes } from '../common/error-body';
import { clearSessionCookie, isSameOrigin } from './portal-http';
import { PortalSession, PortalSessions } from './portal-sessions.service';
import { CSRF_HEADER, sameToken, sessionCookies } from './portal-tokens';

export const PORTAL_API = '/portal/api';
export const PORTAL_LOGOUT = '/portal/logout';

/** The REST API's resources the portal API mirrors; everything else (health, metrics, docs) stays out of reach. */
const MIRRORED = /^\/(webhooks|events)(\/|$)/;

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export type PortalRequest = Request & { user?: Principal; portalSession?: PortalSession };

/** A refusal before the body was read: the body never is (leaveBodyUnread). */
function refuseUnread(
  request: Request,
  response: Response,
  graceMs: number,
  code: number,
  message: string,
): void {
  if (carriesBody(request)) leaveBodyUnread(request, response, graceMs);
  // `Cannot POST <the path as sent>` echoes input: clipped like every error text.
  response.status(code).json({ code, message: clipEchoes(message) });
}

/**
 * The portal API (README → Portal): for `/portal/api/*` and `/portal/logout`, authenticates the session
 * cookie, refuses a state-changing request without the session's CSRF token or from another origin, and sets
 * the principal the bearer token would have set. `/portal/api/<rest>` is then rewritten to `/<rest>`, so the
 * REST API's own controllers, guards (scopes, rate limit), pipes and error filter answer it. All this runs
 * before a body is read, as for bearer tokens (authenticateBeforeBody).
 */
export function portalApiMiddleware(config: AppConfig, sessions: PortalSessions, graceMs: number) {
  const refuse = (request: Request, response: Response, code: number, message: string) =>
    refuseUnread(request, response, graceMs, code, message);
  return (request: PortalRequest, response: Response, next: NextFunction): void => {
    const path = request.path;
    const api = path === PORTAL_API || path.startsWith(`${PORTAL_API}/`);
    if (!api && path !== PORTAL_LOGOUT) {
      next();
      return;
    }
    if (request.headers.authorization !== undefined) {
      refuse(
        request,
        response,
        400,
        'The portal API takes the portal session cookie, not an Authorization header: call the REST API with bearer tokens',
      );
      return;
    }
    sessions.find(sessionCookies(request.headers.cookie)).then(
      (session) => {
        if (!session) {
          clearSessionCookie(config, request, response);
          refuse(request, response, 401, 'Access denied');
          return;
        }
        if (!SAFE_METHODS.has(request.method)) {
          if (!isSameOrigin(config, request)) {
            refuse(
              request,
              response,
              403,
              'Cross-origin request refused: the portal API answers its own pages only',
            );
            return;
          }
          if (!sameToken(request.headers[CSRF_HEADER], session.csrfToken)) {
            refuse(
              request,
              response,
              403,
              `CSRF token missing or wrong: send the session's csrfToken (GET ${PORTAL_API}/session) in ${CSRF_HEADER}`,
            );
            return;
          }
        }
        request.user = session.principal;
        request.portalSession = session;
        if (api && path !== `${PORTAL_API}/session`) {
          const rest = path.slice(PORTAL_API.length);
          if (!MIRRORED.test(rest)) {
            refuse(request, response, 404, `Cannot ${request.method} ${path}`);
            return;
          }
          const query = request.url.indexOf('?');
          request.url = rest + (query < 0 ? '' : request.url.slice(query));
        }
        next();
      },
      (error: unknown) => next(error),
    );
  };
}
