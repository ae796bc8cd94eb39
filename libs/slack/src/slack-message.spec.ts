import { findEventCatalogEntry, OPERATIONAL_EVENT_NAMES, PlatformEvent } from '@app/events';
import { isSlackWebhookUrl, slackMessage } from './slack-message';

function event(overrides: Partial<PlatformEvent> = {}): PlatformEvent {
  return {
    id: 'evt_01',
    name: 'api.created',
    timestamp: '2025-01-01T12:00:00.000Z',
    user: { id: '10123', nickname: 'jdoe' },
    resourceType: 'Api',
    resource: { id: 'a1', name: 'Payments API' },
    apiId: '9b2f6a9e-3c1d-4f7a-9a3e-1d2c3b4a5f60',
    ...overrides,
  };
}

/** Every string a Slack client would render (text, header, fields, context). */
function renderedStrings(message: ReturnType<typeof slackMessage>): string[] {
  const out = [message.text];
  for (const block of message.blocks) {
    if (block.type === 'header') out.push(block.text.text);
    if (block.type === 'section') {
      if (block.text) out.push(block.text.text);
      out.push(...block.fields.map((field) => field.text));
    }
    if (block.type === 'context') out.push(...block.elements.map((element) => element.text));
  }
  return out;
}

/** Slack's documented incoming-webhook payload shape and Block Kit limits. */
function expectValidSlackPayload(payload: unknown): void {
  const body = JSON.parse(JSON.stringify(payload));
  expect(typeof body.text).toBe('string');
  expect(body.text.length).toBeGreaterThan(0);
  expect(body.text.length).toBeLessThanOrEqual(3000);
  expect(Array.isArray(body.blocks)).toBe(true);
  expect(body.blocks.length).toBeGreaterThan(0);
  expect(body.blocks.length).toBeLessThanOrEqual(50);
  for (const block of body.blocks) {
    expect(['header', 'section', 'context']).toContain(block.type);
    if (block.type === 'header') {
      expect(block.text.type).toBe('plain_text');
      expect(block.text.text.length).toBeGreaterThan(0);
      expect(block.text.text.length).toBeLessThanOrEqual(150);
    }
    if (block.type === 'section') {
      if (block.text !== undefined) expect(block.text.text.length).toBeLessThanOrEqual(3000);
      expect(block.fields.length).toBeGreaterThan(0);
      expect(block.fields.length).toBeLessThanOrEqual(10);
      for (const field of block.fields) {
        expect(field.type).toBe('mrkdwn');
        expect(field.text.length).toBeGreaterThan(0);
        expect(field.text.length).toBeLessThanOrEqual(2000);
      }
    }
    if (block.type === 'context') {
      expect(block.elements.length).toBeGreaterThan(0);
      expect(block.elements.length).toBeLessThanOrEqual(10);
      for (const element of block.elements) expect(['mrkdwn', 'plain_text']).toContain(element.type);
    }
  }
  expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(8 * 1024);
}

describe('isSlackWebhookUrl', () => {
  it.each([
    'https://hooks.slack.com/services/T000/B000/XXXX',
    'https://HOOKS.Slack.com/services/T000/B000/XXXX',
    'https://hooks.slack.com:443/services/x',
    'https://hooks.slack.com/',
  ])('accepts %s', (url) => {
    expect(isSlackWebhookUrl(url)).toBe(true);
  });

  it.each([
    'http://hooks.slack.com/services/x',
    'https://hooks.slack.com.evil.example/services/x',
    'https://evilhooks.slack.com/services/x',
    'https://slack.com/services/x',
    'https://example.com/hooks.slack.com/services/x',
    'https://example.com/?u=https://hooks.slack.com/',
    'https://hooks.slack.com:8443/services/x',
    'https://hooks.slack.com./services/x',
    'not a url',
    '',
  ])('refuses %s', (url) => {
    expect(isSlackWebhookUrl(url)).toBe(false);
  });
});

describe('slackMessage', () => {
  it('summarises the event, the resource and who triggered it', () => {
    const message = slackMessage(event());
    expect(message.text).toContain('api.created');
    expect(message.text).toContain('Api');
    expect(message.text).toContain('Payments API');
    expect(message.text).toContain('jdoe');
    expectValidSlackPayload(message);
  });

  it('lays out header, section fields and context with the event id and timestamp', () => {
    const message = slackMessage(event());
    expect(message.blocks.map((block) => block.type)).toEqual(['header', 'section', 'context']);
    const [header, section, context] = message.blocks;
    expect(header).toMatchObject({
      text: { type: 'plain_text', text: expect.stringContaining('api.created') },
    });
    expect(section.type === 'section' && section.fields.map((field) => field.text)).toEqual([
      '*Event*\napi.created',
      '*Resource*\nApi “Payments API”',
      '*By*\njdoe',
      '*API*\n9b2f6a9e-3c1d-4f7a-9a3e-1d2c3b4a5f60',
    ]);
    expect(context.type === 'context' && context.elements[0].text).toBe(
      'Event evt_01 · 2025-01-01T12:00:00.000Z',
    );
  });

  it('labels the resource by name, then title, then id, else by its type alone', () => {
    expect(slackMessage(event({ resource: { title: 'v2', id: 'r1' } })).text).toContain('“v2”');
    expect(slackMessage(event({ resource: { id: 42 } })).text).toContain('“42”');
    expect(slackMessage(event({ resource: { name: { nested: true }, id: 'r1' } })).text).toContain('“r1”');
    for (const resource of [null, 'text', [1, 2], {}]) {
      expect(slackMessage(event({ resource })).text).toBe('api.created: Api by jdoe');
    }
  });

  it('falls back to the user id without a nickname, and omits the API field without apiId', () => {
    const message = slackMessage(event({ user: { id: '10123', nickname: null }, apiId: undefined }));
    expect(message.text).toContain('by 10123');
    const section = message.blocks[1];
    expect(section.type === 'section' && section.fields).toHaveLength(3);
    expectValidSlackPayload(message);
  });

  it.each([
    ['<!channel>', '&lt;!channel&gt;'],
    ['<!here|here>', '&lt;!here|here&gt;'],
    ['<http://evil|click>', '&lt;http://evil|click&gt;'],
    ['<@U123>', '&lt;@U123&gt;'],
    ['a & b', 'a &amp; b'],
    ['&lt;already&gt;', '&amp;lt;already&amp;gt;'],
  ])('escapes %j in every user-supplied string', (hostile, escaped) => {
    const message = slackMessage(
      event({ resource: { name: hostile }, user: { id: 'u', nickname: hostile }, resourceType: hostile }),
    );
    expect(message.text).toContain(escaped);
    for (const text of renderedStrings(message)) {
      expect(text).not.toMatch(/[<>]/);
      expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    expectValidSlackPayload(message);
  });

  it('truncates huge values and keeps the whole message small', () => {
    const huge = '<!channel>'.repeat(100_000) + '&';
    const message = slackMessage(
      event({
        id: huge,
        resource: { name: huge },
        resourceType: huge,
        user: { id: huge, nickname: huge },
        apiId: huge,
      }),
    );
    expectValidSlackPayload(message);
    expect(message.text).toContain('…');
    for (const text of renderedStrings(message)) expect(text).not.toMatch(/[<>]/);
  });

  it('keeps user strings on one line and never splits a surrogate pair', () => {
    const name = 'line\nbreak\u0000' + '😀'.repeat(300);
    const message = slackMessage(event({ resource: { name } }));
    expect(message.text).toContain('line break ');
    expect(message.text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expectValidSlackPayload(message);
  });
});

describe('slackMessage of operational events (README → Operational events)', () => {
  const example = (name: string) => findEventCatalogEntry(name)!.example as unknown as PlatformEvent;

  it('says which endpoint is in trouble, in words, first', () => {
    const message = slackMessage(example('webhook.failing'));
    expect(message.text).toBe(
      'Endpoint https://hooks.example.com/apitree is failing: 4 attempts in a row failed (last: 503)',
    );
    const section = message.blocks[1];
    expect(section.type === 'section' && section.text?.text).toBe(message.text);
    expectValidSlackPayload(message);
  });

  it.each([
    ['webhook.recovered', 'Endpoint https://hooks.example.com/apitree recovered: a delivery succeeded again'],
    [
      'webhook.paused',
      'Endpoint https://hooks.example.com/apitree stopped answering: its deliveries are paused until',
    ],
    ['webhook.resumed', 'Endpoint https://hooks.example.com/apitree answers again: its deliveries resumed'],
    [
      'delivery.exhausted',
      'Delivery of api.created 1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d to https://hooks.example.com/apitree gave up after 4 attempts (last: 503)',
    ],
  ])('%s', (name, summary) => {
    const message = slackMessage(example(name));
    expect(message.text.startsWith(summary)).toBe(true);
    expectValidSlackPayload(message);
  });

  it('a paused endpoint that timed out shows the error as its last answer', () => {
    expect(slackMessage(example('webhook.paused')).text).toContain('(last: timeout after 15000 ms)');
  });

  it('every operational event of the catalog gets a summary', () => {
    for (const name of OPERATIONAL_EVENT_NAMES) {
      expect(slackMessage(example(name)).text).toMatch(/^(Endpoint|Delivery) /);
    }
  });

  it.each([
    ['a hostile URL', { url: '<!channel> & <http://evil|x>' }],
    ['a huge URL', { url: '<!here>'.repeat(10_000) }],
    ['wrong types', { url: 7, consecutiveFailures: 'four', lastDelivery: 5, deliveryHealth: [] }],
    ['no fields', {}],
  ])('stays escaped, small and well formed with %s', (_label, fields) => {
    for (const name of OPERATIONAL_EVENT_NAMES) {
      const base = example(name);
      const message = slackMessage({
        ...base,
        resource: {
          ...fields,
          webhook: fields,
          event: { name: (fields as { url?: unknown }).url },
          lastAttempt: fields,
        },
      });
      for (const text of renderedStrings(message)) expect(text).not.toMatch(/[<>]/);
      expectValidSlackPayload(message);
    }
  });
});
