import { maskUrl } from '@app/netguard';
import { REDACTED_HEADER_VALUE } from '@app/outbox';
import type { DeliveryRequest } from './delivery-request';

/** What the delivery log keeps of a request (README → Pings, redeliveries, the delivery log, secret rotation). */
export interface RecordedRequest {
  /** The URL, its credential parts masked. */
  url: string;
  /** As sent, with each custom header's value redacted (they are often credentials). */
  headers: Record<string, string>;
  /** The body when it is not the event's stored body (a Slack rendering); null otherwise. */
  body: string | null;
}

/** Masked URLs kept per worker: a webhook's URL is masked once, not once per attempt. */
const MASKED_CACHE_SIZE = 10_000;
const maskedUrls = new Map<string, string>();

function maskedUrl(url: string): string {
  let masked = maskedUrls.get(url);
  if (masked === undefined) {
    masked = maskUrl(url);
    if (maskedUrls.size >= MASKED_CACHE_SIZE) maskedUrls.clear();
    maskedUrls.set(url, masked);
  }
  return masked;
}

export function recordedRequest(
  url: string,
  request: DeliveryRequest,
  customHeaders: Readonly<Record<string, string>> | null | undefined,
  eventBody: string,
): RecordedRequest {
  const headers = { ...request.headers };
  for (const [name, value] of Object.entries(customHeaders ?? {})) {
    // Only a value that went out as the custom one: ours win over a custom header of the same name.
    if (headers[name] === value) headers[name] = REDACTED_HEADER_VALUE;
  }
  return {
    url: maskedUrl(url),
    headers,
    body: request.body === eventBody ? null : request.body,
  };
}
