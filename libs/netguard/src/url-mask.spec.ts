import fc from 'fast-check';
import { containsUrlMask, maskUrl, maskUrlsInText, URL_MASK } from '@app/netguard';

const M = URL_MASK;
const SLACK_TOKEN = 'aBcDeFgHiJkLmNoPqRsTuVwX';
const SLACK = `https://hooks.slack.com/services/T0123ABCD/B0123EFGH/${SLACK_TOKEN}`;

describe('maskUrl', () => {
  it.each([
    // Slack: everything after the first segment, whatever the route.
    [SLACK, `https://hooks.slack.com/services/${M}uVwX`],
    ['https://hooks.slack.com/services/123456', `https://hooks.slack.com/services/${M}`],
    [
      'https://hooks.slack.com/workflows/T0123ABCD/A0123EFGH/123456789012345678/aBcDeFgHiJkLmNoPqRsTuVwX',
      `https://hooks.slack.com/workflows/${M}uVwX`,
    ],
    ['https://HOOKS.Slack.com./triggers/T1/2/3/', `https://HOOKS.Slack.com./triggers/${M}`],
    ['https://hooks.slack-gov.com/services/T1/B1/x', `https://hooks.slack-gov.com/services/${M}`],
    // Known hook services, after their marker segment.
    [
      'https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_aBcDeFgHiJkLmNoPqRsTuVwXyZ01',
      `https://discord.com/api/webhooks/${M}yZ01`,
    ],
    ['https://discordapp.com/api/v10/webhooks/1/tok', `https://discordapp.com/api/v10/webhooks/${M}`],
    [
      'https://contoso.webhook.office.com/webhookb2/3f6b1c2a-1111-4222-8333-444455556666@9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff/IncomingWebhook/0123456789abcdef0123456789abcdef/0f1e2d3c-4b5a-4697-8a9b-cadbecfd0e1f',
      `https://contoso.webhook.office.com/webhookb2/${M}0e1f`,
    ],
    ['https://outlook.office.com/webhook/a@b/IncomingWebhook/c/d', `https://outlook.office.com/webhook/${M}`],
    ['https://hooks.zapier.com/hooks/catch/123456/abcdef/', `https://hooks.zapier.com/hooks/${M}`],
    ['https://hook.eu1.make.com/abcdefgh1234567890ijklmnop', `https://hook.eu1.make.com/${M}mnop`],
    [
      'https://maker.ifttt.com/trigger/door/with/key/abc123',
      `https://maker.ifttt.com/trigger/door/with/key/${M}`,
    ],
    // Customers' own endpoints keep their paths, whatever they look like.
    ['https://example.com/Webhooks', 'https://example.com/Webhooks'],
    ['https://example.com/hooks/orders', 'https://example.com/hooks/orders'],
    [
      'https://api.example.com/webhooks/3f6b1c2a-1111-4222-8333-444455556666',
      'https://api.example.com/webhooks/3f6b1c2a-1111-4222-8333-444455556666',
    ],
    [
      'https://chat.example.org/hooks/xk4qd8t7mjbzfgy3w1n5hoaec6',
      'https://chat.example.org/hooks/xk4qd8t7mjbzfgy3w1n5hoaec6',
    ],
    // Query parameters named like a credential; others stay.
    [
      'https://chat.googleapis.com/v1/spaces/AAAAb1c2d3e/messages?key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI&token=xYz123abcDEF456ghiJKL789mnoPQR0stuVWX%3D',
      `https://chat.googleapis.com/v1/spaces/AAAAb1c2d3e/messages?key=${M}qsHI&token=${M}X%3D`,
    ],
    [
      'https://x.example/cb?access_token=abc&API-Key=k&sig=s&Password=p&page=2&client_secret=&authCode=z',
      `https://x.example/cb?access_token=${M}&API-Key=${M}&sig=${M}&Password=${M}&page=2&client_secret=&authCode=${M}`,
    ],
    ['https://x.example/cb?a%5Ftoken=1&flag', `https://x.example/cb?a%5Ftoken=${M}&flag`],
    [
      'https://receiver.example/in?id=Zx81kQ0pLm2nB7vC4xR9tY',
      'https://receiver.example/in?id=Zx81kQ0pLm2nB7vC4xR9tY',
    ],
    [
      'https://receiver.example/events/2024-03-01/orders',
      'https://receiver.example/events/2024-03-01/orders',
    ],
    [
      'https://receiver.example/n/12345678901234567890123',
      'https://receiver.example/n/12345678901234567890123',
    ],
    // Userinfo password and fragment.
    ['redis://:hunter2@cache:6379/0', `redis://:${M}@cache:6379/0`],
    ['https://example.com/a#access_token=x', `https://example.com/a#${M}`],
    ['https://example.com/a#', 'https://example.com/a#'],
    ['https://example.com', 'https://example.com'],
    ['not a url', M],
  ])('%s', (url, masked) => {
    expect(maskUrl(url)).toBe(masked);
  });

  it('keeps no hidden part and is idempotent', () => {
    const masked = maskUrl(SLACK);
    expect(masked).not.toContain(SLACK_TOKEN);
    expect(maskUrl(masked)).toBe(masked);
    const google = maskUrl(
      'https://chat.googleapis.com/v1/spaces/S/messages?key=AIzaSyDdI0hCZtE6vySjMm&token=t',
    );
    expect(maskUrl(google)).toBe(google);
  });

  it('judges the host the worker connects to, however it is spelled', () => {
    expect(maskUrl('https://hooks%2Eslack.com/services/T1/B1/short')).toBe(
      `https://hooks%2Eslack.com/services/${M}`,
    );
  });
});

describe('maskUrlsInText', () => {
  it('masks every absolute URL in free text', () => {
    expect(maskUrlsInText(`POST ${SLACK} failed; see "https://discord.com/api/webhooks/1/abc"`)).toBe(
      `POST https://hooks.slack.com/services/${M}uVwX failed; see "https://discord.com/api/webhooks/${M}"`,
    );
    expect(maskUrlsInText('connect ECONNREFUSED 127.0.0.1:9')).toBe('connect ECONNREFUSED 127.0.0.1:9');
    // Punctuation after a URL belongs to the sentence.
    expect(maskUrlsInText(`(posting to ${SLACK}): 404.`)).toBe(
      `(posting to https://hooks.slack.com/services/${M}uVwX): 404.`,
    );
  });

  it("with the webhook's own URL, also the pieces it hides (a receiver echoing its path)", () => {
    const own = 'https://discord.com/api/webhooks/123456789/xk4qd8t7mjbzfgy3w1n5hoaec6';
    expect(maskUrlsInText('Cannot POST /api/webhooks/123456789/xk4qd8t7mjbzfgy3w1n5hoaec6', own)).toBe(
      `Cannot POST /api/webhooks/${M}`,
    );
    const query = 'http://127.0.0.1:4000/in?token=xk4qd8t7mjbzfgy3w1n5hoaec6';
    expect(maskUrlsInText('unknown token xk4qd8t7mjbzfgy3w1n5hoaec6', query)).toBe(`unknown token ${M}`);
    expect(maskUrlsInText(`bad token ${SLACK_TOKEN}`, SLACK)).toBe(`bad token ${M}`);
    // Short pieces would match ordinary words: left alone.
    expect(maskUrlsInText('no_service', 'https://hooks.slack.com/services/1')).toBe('no_service');
  });
});

describe('containsUrlMask', () => {
  it.each([
    [maskUrl(SLACK), true],
    ['https://hooks.slack.com/services/%E2%80%A2%E2%80%A2', true],
    ['https://hooks.slack.com/services/%e2%80%a2', true],
    [SLACK, false],
  ])('%s → %s', (url, expected) => {
    expect(containsUrlMask(url)).toBe(expected);
  });
});

describe('maskUrl on generated input', () => {
  const anyUrl = fc.oneof(
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc
      .tuple(
        fc.constantFrom('https://hooks.slack.com/', 'http://x.example/hooks/', 'redis://u:'),
        fc.string(),
      )
      .map(([start, rest]) => start + rest),
  );

  it('never throws and is idempotent', () => {
    fc.assert(
      fc.property(anyUrl, (url) => {
        const masked = maskUrl(url);
        expect(maskUrl(masked)).toBe(masked);
        expect(maskUrlsInText(`x ${url} y`, url)).toEqual(expect.any(String));
      }),
      { numRuns: 2000 },
    );
  });

  it('never shows a Slack token whole', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9]{8,40}$/);
    fc.assert(
      fc.property(token, (secret) => {
        const url = `https://hooks.slack.com/services/T0123ABCD/B0123EFGH/${secret}`;
        expect(maskUrl(url)).not.toContain(secret);
        expect(maskUrlsInText(`POST ${url}: 404 ${secret}`, url)).not.toContain(secret);
      }),
    );
  });
});

/** README → Security → Credential URLs: a hook URL is recognised however its host or path is spelled. */
describe('maskUrl: spellings of a hook URL', () => {
  const ID = '123456789012345678';
  const TOKEN = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_aBcDeFgHiJkLmNoPqRsTuVwXyZ01';

  it.each([
    [`https://discord.com/api/%77ebhooks/${ID}/${TOKEN}`, `https://discord.com/api/%77ebhooks/${M}yZ01`],
    [`https://discord.com/api/WEBHOOKS/${ID}/${TOKEN}`, `https://discord.com/api/WEBHOOKS/${M}yZ01`],
    [`https://www.discord.com/api/webhooks/${ID}/${TOKEN}`, `https://www.discord.com/api/webhooks/${M}yZ01`],
    [`https://DISCORD.com./api/webhooks/${ID}/${TOKEN}`, `https://DISCORD.com./api/webhooks/${M}yZ01`],
    [
      `https://canary.discord.com/api//webhooks//${ID}/${TOKEN}`,
      `https://canary.discord.com/api/webhooks/${M}yZ01`,
    ],
    [
      `https://ptb.discordapp.com//api/v10/webhooks/${ID}/${TOKEN}`,
      `https://ptb.discordapp.com/api/v10/webhooks/${M}yZ01`,
    ],
    [
      `https://discord.com:443/api/webhooks/${ID}/${TOKEN}?wait=true`,
      `https://discord.com:443/api/webhooks/${M}yZ01?wait=true`,
    ],
    // No marker found on a hook service's host: the whole path.
    [`https://discord.com/api/webhooks%2F${ID}%2F${TOKEN}`, `https://discord.com/${M}yZ01`],
    [
      `https://discord.com/api/x/../webhooks/${ID}/${TOKEN}`,
      `https://discord.com/api/x/../webhooks/${M}yZ01`,
    ],
    [
      'https://www.hooks.slack.com/services/T1/B1/aBcDeFgHiJkLmNoPqRsTuVwX',
      `https://www.hooks.slack.com/services/${M}uVwX`,
    ],
    [
      'https://hooks.slack.com//services/T1/B1/aBcDeFgHiJkLmNoPqRsTuVwX',
      `https://hooks.slack.com/services/${M}uVwX`,
    ],
    [
      'https://hooks.slack.com/%73ervices/T1/B1/aBcDeFgHiJkLmNoPqRsTuVwX',
      `https://hooks.slack.com/%73ervices/${M}uVwX`,
    ],
    [
      'https://contoso.webhook.office.com/%77ebhookb2/a@b/IncomingWebhook/c/d',
      `https://contoso.webhook.office.com/%77ebhookb2/${M}`,
    ],
    ['https://HOOKS.ZAPIER.COM./%68ooks/catch/1/abc/', `https://HOOKS.ZAPIER.COM./%68ooks/${M}`],
    [
      'https://maker.ifttt.com/trigger/door/with/K%45Y/abc123',
      `https://maker.ifttt.com/trigger/door/with/K%45Y/${M}`,
    ],
    ['https://maker.ifttt.com/use/abc123', `https://maker.ifttt.com/${M}`],
    ['https://hook.eu1.make.com//abcdefgh1234567890ijklmnop', `https://hook.eu1.make.com/${M}mnop`],
  ])('%s → %s', (url, masked) => {
    expect(maskUrl(url)).toBe(masked);
    expect(maskUrl(masked)).toBe(masked);
  });

  it('never shows the token of a Discord URL, however host and path are spelled', () => {
    const host = fc.constantFrom(
      'discord.com',
      'DISCORD.COM',
      'discord.com.',
      'www.discord.com',
      'canary.discord.com',
      'ptb.discord.com',
      'discordapp.com',
      'www.discordapp.com.',
    );
    const slashes = fc.integer({ min: 1, max: 3 }).map((n) => '/'.repeat(n));
    const marker = fc.constantFrom('webhooks', 'WebHooks', '%77ebhooks', '%77%65%62hooks', 'webhook%73');
    fc.assert(
      fc.property(host, slashes, slashes, marker, fc.boolean(), (h, s1, s2, m, versioned) => {
        const url = `https://${h}${s1}api${versioned ? '/v10' : ''}${s2}${m}/${ID}/${TOKEN}`;
        const masked = maskUrl(url);
        expect(masked).not.toContain(TOKEN);
        expect(masked).not.toContain(TOKEN.slice(0, 16));
        expect(maskUrlsInText(`posting to ${url} failed`)).not.toContain(TOKEN.slice(0, 16));
      }),
    );
  });
});
