import { Webhook } from 'standardwebhooks';
import { toPlatformEvent } from '@app/events';
import { generateWebhookSecret } from '@app/signing';
import { buildDeliveryRequest, USER_AGENT } from './delivery-request';

const event = toPlatformEvent(
  {
    name: 'release.released',
    user: { id: '10123', nickname: 'jdoe' },
    resourceType: 'Release',
    resource: { id: 'r-1', name: 'v2.0.0' },
    apiId: '5e2f3c8a-1b4d-4e6f-9a7b-2c3d4e5f6a7b',
  },
  'evt-1',
  '2026-01-01T00:00:00.000Z',
);
const eventBody = JSON.stringify(event);

function verify(secret: string, request: ReturnType<typeof buildDeliveryRequest>): unknown {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': request.headers['webhook-id'],
    'webhook-timestamp': request.headers['webhook-timestamp'],
    'webhook-signature': request.headers['webhook-signature'],
  });
}

describe('buildDeliveryRequest', () => {
  const secret = generateWebhookSecret();
  const base = {
    eventId: 'evt-1',
    eventName: 'release.released',
    eventBody,
    attemptId: 'attempt-1',
    secrets: [secret],
  };

  it('sends the stored event JSON with the Standard Webhooks and ApiTree headers', () => {
    const request = buildDeliveryRequest({
      ...base,
      url: 'https://example.com/hook',
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    expect(request.body).toBe(eventBody);
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': 'evt-1',
      'x-apitree-event': 'release.released',
      'x-apitree-delivery': 'attempt-1',
    });
    expect(verify(secret, request)).toEqual(event);
  });

  it("adds the webhook's custom headers; ours win on a clash", () => {
    const request = buildDeliveryRequest({
      ...base,
      url: 'https://example.com/hook',
      headers: { Authorization: 'Bearer abc', 'webhook-id': 'forged', 'user-agent': 'forged' },
    });
    expect(request.headers).toMatchObject({
      Authorization: 'Bearer abc',
      'webhook-id': 'evt-1',
      'user-agent': USER_AGENT,
    });
    expect(verify(secret, request)).toEqual(event);
  });

  it('signs with every active secret so a receiver holding either verifies', () => {
    const previous = generateWebhookSecret();
    const request = buildDeliveryRequest({
      ...base,
      url: 'https://example.com/hook',
      secrets: [secret, previous],
    });
    expect(request.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verify(secret, request)).toEqual(event);
    expect(verify(previous, request)).toEqual(event);
    expect(() => verify(generateWebhookSecret(), request)).toThrow();
  });

  it('renders a Slack message for Slack incoming-webhook URLs, signed the same way', () => {
    const request = buildDeliveryRequest({ ...base, url: 'https://hooks.slack.com/services/T0/B0/XYZ' });
    const message = JSON.parse(request.body);
    expect(message.text).toContain('release.released');
    expect(message.text).toContain('jdoe');
    expect(Array.isArray(message.blocks)).toBe(true);
    expect(verify(secret, request)).toEqual(message);
    expect(request.headers['webhook-id']).toBe('evt-1');
  });
});
