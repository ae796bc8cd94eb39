import {
  BadRequestException,
  Controller,
  Get,
  HttpCode,
  Post,
  Query,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { AppConfig } from '@app/config';
import { RequireScopes } from '../auth/auth.decorators';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { ApiCommonErrors, ApiDatabaseBusy } from '../common/api-errors.decorator';
import { ErrorResponse } from '../common/error-response.dto';
import { PortalLinkResponse, PortalSessionResponse } from './dto/portal-link.response';
import type { PortalRequest } from './portal-api.middleware';
import { clearSessionCookie, portalOrigin, sendPage, setSessionCookie } from './portal-http';
import { AcceptsAnyQuery } from '../common/query-without-parameters.interceptor';
import { PortalRoute } from './portal.decorators';
import { PortalSessions } from './portal-sessions.service';
import { isWellFormedToken, sessionCookies } from './portal-tokens';

export const PORTAL_ASSETS = join(__dirname, 'assets');

// The signed-out page in app.js says the same (its showSignedOut).
const OPEN_A_LINK = 'Open the portal from ApiTree’s dashboard: it gives you a link that signs you in.';

const LINK_REFUSALS = {
  used: [410, 'Link already used', `Each portal link works once. ${OPEN_A_LINK}`],
  expired: [410, 'Link expired', `Portal links work for 15 minutes. ${OPEN_A_LINK}`],
  unknown: [401, 'Link not valid', OPEN_A_LINK],
} as const;

@ApiTags('Portal')
@ApiDatabaseBusy()
@Controller('portal')
export class PortalController {
  constructor(
    private readonly sessions: PortalSessions,
    private readonly config: AppConfig,
  ) {}

  @Post('sessions')
  @RequireScopes(Scope.Webhook, Scope.WebhookReadonly)
  @ApiOperation({
    operationId: 'createPortalSession',
    summary: 'Mint a one-time link that signs a browser in to the portal',
    description:
      'For ApiTree’s dashboard: returns a link to hand to the signed-in user. Opening it (once, within 15 ' +
      'minutes) sets an httpOnly, SameSite=Strict session cookie scoped to /portal carrying the same user, ' +
      'organizations and scopes as the bearer token, so no platform token ever reaches the browser. The ' +
      'session ends after PORTAL_SESSION_TTL, at the bearer token’s expiry, or at logout, whichever is first. ' +
      'The portal’s own routes (/portal/login, /portal/logout, /portal/api/…, the pages) are for browsers and ' +
      'not listed here; /portal/api/… mirrors this API’s webhook and event operations (README → Portal).',
  })
  @ApiCreatedResponse({
    type: PortalLinkResponse,
    example: {
      url: 'https://events.apitree.com/portal/login?token=hV3q1d0mP6bYV0k2m1zq9Q5v3Yw8rT4uJ7eX2cL6nA0',
      expiresAt: '2026-12-03T20:15:00.000Z',
    },
  })
  @ApiBadRequestResponse({
    description: 'No PUBLIC_BASE_URL is set and the request’s Host header is not a plain host[:port]',
    type: ErrorResponse,
    example: { code: 400, message: 'Host header is not a plain host[:port]; set PUBLIC_BASE_URL' },
  })
  @ApiCommonErrors()
  async mintLink(
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request,
  ): Promise<PortalLinkResponse> {
    const origin = portalOrigin(this.config, request);
    if (!origin) throw new BadRequestException('Host header is not a plain host[:port]; set PUBLIC_BASE_URL');
    // The strategy verified the token and required `exp`.
    const exp = (jwt.decode(principal.token) as { exp: number }).exp;
    const link = await this.sessions.mintLink(principal, new Date(exp * 1000));
    return {
      url: `${origin}/portal/login?token=${link.token}`,
      expiresAt: link.expiresAt.toISOString(),
    };
  }

  @Get('login')
  @PortalRoute('open')
  async login(
    @Query('token') token: unknown,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const opened = isWellFormedToken(token)
      ? await this.sessions.openSession(token)
      : { refused: 'unknown' as const };
    if ('refused' in opened) {
      const [status, title, text] = LINK_REFUSALS[opened.refused];
      sendPage(response, status, title, text);
      return;
    }
    setSessionCookie(this.config, request, response, opened.sessionId, opened.expiresAt);
    response.redirect(303, '/portal/');
  }

  @Post('logout')
  @PortalRoute('session')
  @HttpCode(204)
  async logout(@Req() request: PortalRequest, @Res() response: Response): Promise<void> {
    const session = request.portalSession;
    if (!session) throw new UnauthorizedException();
    await this.sessions.end(session);
    clearSessionCookie(this.config, request, response);
    response.status(204).end();
  }

  @Get('api/session')
  @PortalRoute('session')
  session(@Req() request: PortalRequest): PortalSessionResponse {
    const session = request.portalSession;
    if (!session) throw new UnauthorizedException();
    const { principal } = session;
    return {
      user: { id: principal.id, nickname: principal.nickname },
      orgs: [...principal.orgs],
      scopes: [...principal.scopes].sort(),
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt.toISOString(),
    };
  }

  /**
   * The page shell, with a session only. A link opened from another site arrives through a cross-site
   * redirect, on which browsers withhold SameSite=Strict cookies: one reload from our own page sends it.
   */
  @Get()
  @PortalRoute('open')
  @AcceptsAnyQuery()
  async index(@Req() request: Request, @Res() response: Response): Promise<void> {
    if (!request.path.endsWith('/')) {
      response.redirect(301, '/portal/');
      return;
    }
    const session = await this.sessions.find(sessionCookies(request.headers.cookie));
    if (session) {
      response.sendFile('index.html', { root: PORTAL_ASSETS, headers: { 'Cache-Control': 'no-store' } });
      return;
    }
    if (
      request.headers['sec-fetch-site'] === 'cross-site' &&
      sessionCookies(request.headers.cookie).length === 0
    ) {
      sendPage(response, 200, 'Signing in…', OPEN_A_LINK, '<meta http-equiv="refresh" content="0">');
      return;
    }
    sendPage(response, 401, 'Not signed in', OPEN_A_LINK);
  }
}
