import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { IS_PUBLIC_KEY } from '../auth/auth.decorators';

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
