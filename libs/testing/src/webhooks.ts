import request from 'supertest';
import type { App } from 'supertest/types';

/** What POST /webhooks answers, as tests use it. */
export interface CreatedWebhook {
  id: string;
  secret: string;
  url: string;
  [field: string]: unknown;
}

export interface WebhookFields {
  /** Default `https://receiver.example/hook` (never connected to: tests that deliver pass their receiver's). */
  url?: string;
  /** Event names (or `{name}` objects, as the API takes them); default `api.created`. */
  events?: Array<string | { name: string }>;
  /** Any other field, sent as it is (`apiId`, `userId`, `custom`, `active`, `rateLimit` …). */
  [field: string]: unknown;
}

/** The one way tests register a webhook: POST /webhooks with `auth`, expecting 201. */
export async function createWebhook(
  http: App,
  auth: Record<string, string>,
  { url = 'https://receiver.example/hook', events = ['api.created'], ...fields }: WebhookFields = {},
): Promise<CreatedWebhook> {
  const response = await request(http)
    .post('/webhooks')
    .set(auth)
    .send({
      url,
      events: events.map((event) => (typeof event === 'string' ? { name: event } : event)),
      ...fields,
    })
    .expect(201);
  return response.body as CreatedWebhook;
}
