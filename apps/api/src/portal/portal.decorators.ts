import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { IS_PUBLIC_KEY } from '../auth/auth.decorators';
import type { PortalRequest } from './portal-api.middleware';

export const PORTAL_ROUTE_KEY = 'portal:route';

/**
 * A browser route of the portal (README → Portal): no bearer token; `session` routes are authenticated by
 * the session cookie in portalApiMiddleware before they are reached, `open` ones need nothing (login,
 * the page shell). Not in the OpenAPI document: they serve the portal's own pages, not API clients.
 */
export const PortalRoute = (kind: 'session' | 'open'): MethodDecorator =>
  applyDecorators(
    SetMetadata(IS_PUBLIC_KEY, true),
    SetMetadata(PORTAL_ROUTE_KEY, kind),
    ApiExcludeEndpoint(),
  );

/**
 * Whether the request came through the portal API (`/portal/api/…`, a session cookie) rather than with a
 * bearer token: the REST controllers answer both, and the portal's answers carry a webhook's secret only
 * where it was just made (README → Portal → What a session can do).
 */
export const ViaPortal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): boolean =>
    context.switchToHttp().getRequest<PortalRequest>().portalSession !== undefined,
);
