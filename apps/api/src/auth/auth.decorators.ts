import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOAuth2, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto';
import { Scope } from './scopes';

export const IS_PUBLIC_KEY = 'auth:public';
export const SCOPES_KEY = 'auth:scopes';

/** No token needed (health, metrics, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/**
 * The caller's token must carry at least one of these scopes. Every non-public route needs this:
 * the scopes guard refuses routes that declare none, so a forgotten decorator fails closed.
 */
export function RequireScopes(...scopes: [Scope, ...Scope[]]): MethodDecorator {
  return applyDecorators(
    SetMetadata(SCOPES_KEY, scopes),
    // Either scheme will do: a pasted JWT, or one from the Auth-API's password flow. OpenAPI 3.0
    // lists scopes for OAuth2 only; the bearer scheme's description names them.
    ApiBearerAuth('bearer'),
    ApiOAuth2(scopes, 'oauth2'),
    ApiUnauthorizedResponse({
      description: 'Missing, malformed, expired or wrongly signed access token',
      type: ErrorResponse,
      example: { code: 401, message: 'Access denied' },
    }),
    ApiForbiddenResponse({
      description: `The token lacks the scope: needs ${scopes.map((s) => `\`${s}\``).join(' or ')}`,
      type: ErrorResponse,
      example: { code: 403, message: `Insufficient scope: requires ${scopes.join(' or ')}` },
    }),
  );
}
