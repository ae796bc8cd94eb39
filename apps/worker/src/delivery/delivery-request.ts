import type { PlatformEvent } from '@app/events';
import { signatureHeader } from '@app/signing';
import { isSlackWebhookUrl, slackMessage } from '@app/slack';

export const USER_AGENT = 'ApiTree-Webhooks/2.0';

export interface DeliveryRequest {
  body: string;
  headers: Record<string, string>;
}

/**
 * The signed request of one attempt (README → Receiving webhooks): the stored event JSON (or its Slack
 * rendering), Standard Webhooks headers signed with every active secret, our own headers, and the
 * webhook's custom headers.
 */
export function buildDeliveryRequest(input: {
  url: string;
  eventId: string;
  eventName: string;
  eventBody: string;
  attemptId: string;
  secrets: readonly string[];
  /**
   * The webhook's custom headers as sent (README → Receiving webhooks → The request): reserved names
   * are already left out where the stored headers are opened (DeliveryStore), once per stored value.
   */
  headers?: Readonly<Record<string, string>> | null;
  nowSeconds?: number;
}): DeliveryRequest {
  const body = isSlackWebhookUrl(input.url)
    ? JSON.stringify(slackMessage(JSON.parse(input.eventBody) as PlatformEvent))
    : input.eventBody;
  const timestamp = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  return {
    body,
    headers: {
      // Ours come after, so they win; the API refuses custom headers with reserved names anyway.
      ...input.headers,
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': input.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(input.secrets, input.eventId, timestamp, body),
      'x-apitree-event': input.eventName,
      'x-apitree-delivery': input.attemptId,
    },
  };
}
