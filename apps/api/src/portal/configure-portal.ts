import type { INestApplication } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { AppConfig } from '@app/config';
import { portalApiMiddleware } from './portal-api.middleware';
import { PORTAL_ASSETS } from './portal.controller';
import { portalHeaders } from './portal-http';
import { PortalSessions } from './portal-sessions.service';

/**
 * The portal's middleware, in front of authentication and body parsing (app.setup): its headers, the
 * session-cookie authentication of the portal API, and the pages' static files (bundled in the build, never
 * fetched from elsewhere). The page shell itself (`/portal/`) is PortalController's: it needs a session.
 */
export function configurePortal(app: INestApplication, graceMs: number): void {
  const config = app.get(AppConfig);
  app.use(portalHeaders(config));
  app.use(portalApiMiddleware(config, app.get(PortalSessions), graceMs));
  const assets = express.static(PORTAL_ASSETS, {
    index: false,
    dotfiles: 'ignore',
    redirect: false,
    // Plain file names (no content hash): browsers may keep them, but must ask whether they changed.
    setHeaders: (response) => response.setHeader('Cache-Control', 'no-cache'),
  });
  // The shell is served at /portal/ only, where a session is checked first.
  app.use('/portal', (request: Request, response: Response, next: NextFunction): void => {
    if (request.path === '/index.html') next();
    else assets(request, response, next);
  });
}
