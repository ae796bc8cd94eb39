import { toPlatformEvent } from '@app/events';
import { generateWebhookSecret } from '@app/signing';
import { buildDeliveryRequest } from './delivery-request';
import { recordedRequest } from './recorded-request';

const eventBody = JSON.stringify(
  toPlatformEvent(
    {
      name: 'release.released',
      user: { id: '10123', nickname: 'jdoe' },
      resourceType: 'Release',
      resource: { id: 'r-1', name: 'v2.0.0' },
      apiId: '5e2f3c8a-1b4d-4e6f-9a7b-2c3d4e5f6a7b',
    },
    'evt-1',
    '2026-01-01T00:00:00.000Z',
  ),
);

describe('recordedRequest', () => {
  const build = (url: string, headers?: Record<string, string>) =>
    buildDeliveryRequest({
      url,
      eventId: 'evt-1',
      eventName: 'release.released',
      eventBody,
      attemptId: 'attempt-1',
      secrets: [generateWebhookSecret()],
      headers,
    });

  it('keeps the headers as sent, custom values redacted, and no body when it is the event body', () => {
    const custom = { Authorization: 'Bearer s3cret', 'X-Team': 'platform' };
    const sent = build('https://example.com/hook?token=abcdefghijklmnopqrstuvwx', custom);
    const recorded = recordedRequest(
      'https://example.com/hook?token=abcdefghijklmnopqrstuvwx',
      sent,
      custom,
      eventBody,
    );
    expect(recorded.headers).toEqual({ ...sent.headers, Authorization: '••••', 'X-Team': '••••' });
    expect(recorded.headers['webhook-signature']).toBe(sent.headers['webhook-signature']);
    expect(recorded.url).toBe('https://example.com/hook?token=••••uvwx');
    expect(recorded.body).toBeNull();
    // The request itself is untouched.
    expect(sent.headers.Authorization).toBe('Bearer s3cret');
  });

  it('keeps the body of a Slack URL (a rendering, not the event) and masks its path', () => {
    const url = 'https://hooks.slack.com/services/T0123ABCD/B0123EFGH/aBcDeFgHiJkLmNoPqRsTuVwX';
    const sent = build(url);
    expect(sent.body).not.toBe(eventBody);
    const recorded = recordedRequest(url, sent, null, eventBody);
    expect(recorded.body).toBe(sent.body);
    expect(recorded.url).toBe('https://hooks.slack.com/services/••••uVwX');
  });

  it('never redacts one of our headers a custom header of the same name lost to', () => {
    const custom = { 'user-agent': 'mine' };
    const sent = build('https://example.com/hook', custom);
    expect(recordedRequest('https://example.com/hook', sent, custom, eventBody).headers['user-agent']).toBe(
      'ApiTree-Webhooks/2.0',
    );
  });
});
