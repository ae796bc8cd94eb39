import { DeliveryAttemptEntity } from '@app/database';
import { maskUrlsInText } from '@app/netguard';
import { DeliveryAttemptResponse } from './dto/delivery-attempt.response';
import { DeliveryAttemptDetailResponse } from './dto/delivery-attempt-detail.response';

/**
 * Entity → API representation of one attempt. With `maskFor` (the webhook's URL, for webhook.readonly
 * tokens) the response and error are shown with that URL's credential parts masked, wherever they
 * appear: a receiver may echo its own path (`Cannot POST /hooks/<key>`).
 */
export function presentDeliveryAttempt(
  attempt: DeliveryAttemptEntity,
  maskFor?: string,
): DeliveryAttemptResponse {
  const mask = (text: string) => (maskFor === undefined ? text : maskUrlsInText(text, maskFor));
  return {
    id: attempt.id,
    eventId: attempt.eventId,
    eventName: attempt.eventName,
    attempt: attempt.attempt,
    success: attempt.success,
    statusCode: attempt.statusCode,
    response: mask(attempt.response),
    error: attempt.error === null ? null : mask(attempt.error),
    durationMs: attempt.durationMs,
    timestamp: attempt.createdAt.toISOString(),
  };
}

/**
 * One attempt with its request. Its URL and headers were stored masked and redacted, the same for
 * every reader; attempts made before requests were recorded have null for both.
 */
export function presentDeliveryAttemptDetail(
  attempt: DeliveryAttemptEntity,
  body: string | null,
  maskFor?: string,
): DeliveryAttemptDetailResponse {
  return {
    ...presentDeliveryAttempt(attempt, maskFor),
    request: {
      method: 'POST',
      url: attempt.requestUrl,
      headers: attempt.requestHeaders,
      body,
    },
  };
}
