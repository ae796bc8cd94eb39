import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { DeliveryAttemptResponse } from './delivery-attempt.response';

/** The HTTP request of one attempt, as the delivery log keeps it. */
@ApiSchema({ name: 'DeliveryAttemptRequest' })
export class DeliveryAttemptRequestResponse {
  @ApiProperty({ description: 'Always POST', enum: ['POST'], example: 'POST' })
  method!: 'POST';

  @ApiProperty({
    description:
      'The URL the attempt went to, credential parts (user info, secret-looking path segments and query values) masked; null for attempts made before requests were recorded',
    nullable: true,
    type: 'string',
    example: 'https://example.com/hooks/••••',
  })
  url!: string | null;

  @ApiProperty({
    description:
      "The headers sent, by name (ours in lower case, custom ones as set on the webhook). The values of the webhook's custom headers are shown as `••••` (they are often credentials); `webhook-signature` is shown as sent. Null for attempts made before requests were recorded.",
    nullable: true,
    type: 'object',
    additionalProperties: { type: 'string' },
    example: {
      'x-team': '••••',
      'content-type': 'application/json',
      'user-agent': 'ApiTree-Webhooks/2.0',
      'webhook-id': '3b0e7c1a-5d2f-4c8e-9a61-7f4b2d9e0c35',
      'webhook-timestamp': '1764238530',
      'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
      'x-apitree-event': 'api.created',
      'x-apitree-delivery': '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9',
    },
  })
  headers!: Record<string, string> | null;

  @ApiProperty({
    description:
      'The body sent, as text: the event JSON (or its Slack rendering for Slack URLs); null only if the event is no longer stored (past retention, or erased)',
    nullable: true,
    type: 'string',
    example:
      '{"id":"3b0e7c1a-5d2f-4c8e-9a61-7f4b2d9e0c35","type":"api.created","timestamp":"2025-11-27T10:15:30.000Z","data":{}}',
  })
  body!: string | null;
}

/** One attempt of the delivery log, with the request it sent. */
@ApiSchema({ name: 'DeliveryAttemptDetail' })
export class DeliveryAttemptDetailResponse extends DeliveryAttemptResponse {
  @ApiProperty({ description: 'The request this attempt sent', type: DeliveryAttemptRequestResponse })
  request!: DeliveryAttemptRequestResponse;
}
