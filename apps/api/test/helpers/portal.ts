import request from 'supertest';
import type { App } from 'supertest/types';
import { bearer, mintToken, TokenClaims } from '@app/testing';

export interface PortalBrowser {
  sub: string;
  /** The bearer token the link was minted with. */
  token: string;
  /** `Cookie` header value carrying the session. */
  cookie: string;
  csrfToken: string;
  /** Headers of a same-origin state-changing request: cookie, CSRF token, Sec-Fetch-Site. */
  writeHeaders: Record<string, string>;
}

/** The path and query of a minted link (`/portal/login?token=…`). */
export function linkPath(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/** The `name=value` part of the session cookie a login answer sets. */
export function sessionCookieOf(setCookie: string[] | string | undefined): string {
  const cookies = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const cookie = cookies.find((line) => line.startsWith('portal_session='));
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(setCookie)}`);
  return cookie.split(';')[0];
}

/** What a browser does: mint a link with a bearer token, open it, read the session. */
export async function portalLogin(http: App, claims: TokenClaims = {}): Promise<PortalBrowser> {
  const sub = claims.sub ?? `user-${Math.random().toString(36).slice(2)}`;
  const token = mintToken({ sub, ...claims });
  const minted = await request(http).post('/portal/sessions').set(bearer(token)).expect(201);
  const login = await request(http)
    .get(linkPath((minted.body as { url: string }).url))
    .expect(303);
  const cookie = sessionCookieOf(login.headers['set-cookie']);
  const session = await request(http).get('/portal/api/session').set('Cookie', cookie).expect(200);
  const { csrfToken } = session.body as { csrfToken: string };
  return {
    sub,
    token,
    cookie,
    csrfToken,
    writeHeaders: { Cookie: cookie, 'x-csrf-token': csrfToken, 'Sec-Fetch-Site': 'same-origin' },
  };
}
