import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '@app/config';
import { SESSION_COOKIE } from './portal-tokens';

/** Everything under /portal: the pages, their assets, the login, the portal API. */
export function isPortalPath(path: string): boolean {
  return path === '/portal' || path.startsWith('/portal/');
}

/**
 * Headers of every /portal response (README → Portal → Security): a CSP that allows our own files only (no
 * inline script or style, no eval), frames only from PORTAL_FRAME_ANCESTORS, no Referer (the login URL holds
 * a token), nothing cached (assets override it with revalidation).
 */
export function portalHeaders(config: AppConfig) {
  const ancestors = config.portal.frameAncestors;
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    `frame-ancestors ${ancestors}`,
  ].join('; ');
  // For browsers that predate frame-ancestors, where X-Frame-Options can say the same.
  const frameOptions = ancestors === "'none'" ? 'DENY' : ancestors === "'self'" ? 'SAMEORIGIN' : undefined;
  return (request: Request, response: Response, next: NextFunction): void => {
    if (isPortalPath(request.path)) {
      response.setHeader('Content-Security-Policy', csp);
      response.setHeader('X-Content-Type-Options', 'nosniff');
      response.setHeader('Referrer-Policy', 'no-referrer');
      response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      response.setHeader('Cache-Control', 'no-store');
      if (frameOptions) response.setHeader('X-Frame-Options', frameOptions);
    }
    next();
  };
}

const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The request's Host header when it is a plain host[:port], else undefined. */
export function requestHost(request: Request): string | undefined {
  const host = request.headers.host;
  return typeof host === 'string' && host.length <= 300 && HOST.test(host) ? host.toLowerCase() : undefined;
}

/**
 * The origin links point at: PUBLIC_BASE_URL, else the request's Host (https in production, where the API is
 * behind TLS; the connection's own scheme otherwise).
 */
export function portalOrigin(config: AppConfig, request: Request): string | undefined {
  if (config.portal.publicBaseUrl) return config.portal.publicBaseUrl;
  const host = requestHost(request);
  if (!host) return undefined;
  return `${config.production || request.secure ? 'https' : 'http'}://${host}`;
}

/**
 * A state-changing request must come from the portal's own pages: a browser sends `Origin` on every
 * non-GET fetch and `Sec-Fetch-Site` on every request; when present they must say same-origin. With
 * PUBLIC_BASE_URL the whole origin must match it, else the host must match the request's Host (a proxy in
 * front may end TLS, so the scheme seen here is not the browser's).
 */
export function isSameOrigin(config: AppConfig, request: Request): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (config.portal.publicBaseUrl) return origin === config.portal.publicBaseUrl;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const host = requestHost(request);
  return host !== undefined && (url.protocol === 'https:' || url.protocol === 'http:') && url.host === host;
}

/** `Secure` when browsers reach us over TLS: PUBLIC_BASE_URL says so, or production, or a TLS connection. */
function secureCookie(config: AppConfig, request: Request): boolean {
  if (config.portal.publicBaseUrl) return config.portal.publicBaseUrl.startsWith('https:');
  return config.production || request.secure;
}

export function setSessionCookie(
  config: AppConfig,
  request: Request,
  response: Response,
  sessionId: string,
  expiresAt: Date,
): void {
  const maxAge = Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  response.setHeader(
    'Set-Cookie',
    `${SESSION_COOKIE}=${sessionId}; Path=/portal; Max-Age=${maxAge}; HttpOnly; SameSite=Strict` +
      (secureCookie(config, request) ? '; Secure' : ''),
  );
}

export function clearSessionCookie(config: AppConfig, request: Request, response: Response): void {
  response.setHeader(
    'Set-Cookie',
    `${SESSION_COOKIE}=; Path=/portal; Max-Age=0; HttpOnly; SameSite=Strict` +
      (secureCookie(config, request) ? '; Secure' : ''),
  );
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** A small page of our own (no script; the portal's stylesheet): login refusals, "open a link first". */
export function sendPage(response: Response, status: number, title: string, text: string, head = ''): void {
  const escape = (value: string) => value.replace(/[&<>"']/g, (char) => ESCAPES[char]);
  response
    .status(status)
    .type('html')
    .send(
      `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">${head}` +
        `<meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${escape(title)} · Event-API portal</title>` +
        `<link rel="stylesheet" href="/portal/app.css"></head>` +
        `<body><main><h1>${escape(title)}</h1><p>${escape(text)}</p></main></body></html>\n`,
    );
}
