import { DeliveryAttemptEntity } from '@app/database';
import { DeliveryAttemptResponse } from './dto/delivery-attempt.response';

/** Entity → API representation of one attempt. */
export function presentDeliveryAttempt(attempt: DeliveryAttemptEntity): DeliveryAttemptResponse {
  return {
    id: attempt.id,
    eventId: attempt.eventId,
    eventName: attempt.eventName,
    attempt: attempt.attempt,
    success: attempt.success,
    statusCode: attempt.statusCode,
    response: attempt.response,
    error: attempt.error,
    durationMs: attempt.durationMs,
    timestamp: attempt.createdAt.toISOString(),
  };
}
