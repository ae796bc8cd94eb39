import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { WebhookOrdering } from '@app/database';
import { EventRef, MAX_RATE_LIMIT, OrderingResponseField } from './webhook-field.decorators';
import { FILTER_DESCRIPTION, FILTER_EXAMPLE } from './webhook-filter';
import { HEADERS_DESCRIPTION, MAX_HEADERS } from './webhook-headers';
import { SIGNING_DESCRIPTION } from './signing-field';

// Schema names are those of the ApiTree API reference, which clients know, not of the classes.
@ApiSchema({ name: 'User', description: 'A user of the platform' })
export class UserResponse {
  @ApiProperty({ description: 'User identifier (see User-API)', example: '10123' })
  id!: string;

  // `string | null` reflects as Object: the type is spelled out (as for custom and apiId).
  @ApiProperty({ description: 'Nickname of the user', type: 'string', nullable: true, example: 'jdoe' })
  nickname!: string | null;
}

@ApiSchema({ name: 'WebhookDelivery', description: 'Information about a delivery attempt' })
class WebhookDeliveryResponse {
  @ApiProperty({ description: 'True when the endpoint answered 2xx in time', example: true })
  success!: boolean;

  @ApiProperty({
    description: 'HTTP status code of the response; null when no HTTP response came back',
    nullable: true,
    type: 'integer',
    example: 200,
  })
  statusCode!: number | null;

  @ApiProperty({
    description:
      "Response body as text (cut to 1 KiB), or the error (timeout, connection refused, blocked); for webhook.readonly, with the URL's credential parts masked",
    example: 'OK',
  })
  response!: string;

  @ApiProperty({
    description: 'UTC timestamp of the attempt - ISO 8601',
    format: 'date-time',
    example: '2019-04-17T11:25:37Z',
  })
  timestamp!: string;
}

@ApiSchema({ name: 'DeliveryHealth' })
class DeliveryHealthResponse {
  @ApiProperty({
    description:
      'healthy; slow (the worker finds its answers slow, or it timed out: it shares the slow part of the delivery capacity); paused (it kept timing out or refusing connections: deliveries wait, uncounted, until a probe attempt succeeds)',
    enum: ['healthy', 'slow', 'paused'],
    example: 'healthy',
  })
  state!: 'healthy' | 'slow' | 'paused';

  @ApiProperty({
    description:
      'While paused: when the cool-down ends and one probe attempt is made (in the past while the probe runs); null otherwise',
    type: 'string',
    format: 'date-time',
    nullable: true,
    example: null,
  })
  pausedUntil!: string | null;
}

@ApiSchema({ name: 'Webhook', description: 'A webhook: where and which events are delivered' })
export class WebhookResponse {
  @ApiProperty({
    description: 'Unique webhook identifier (version 4 UUID)',
    format: 'uuid',
    readOnly: true,
    example: 'd679ce92-572a-4dcd-b5a1-c72fc449b61e',
  })
  id!: string;

  @ApiProperty({
    description: 'The owner: the user who created the webhook',
    type: UserResponse,
    readOnly: true,
  })
  user!: UserResponse;

  @ApiProperty({
    description: 'User or organization whose events are delivered (see User-API)',
    example: '10123',
  })
  userId!: string;

  @ApiProperty({
    description:
      "API ID (version 4 UUID - see Core-API): the webhook receives only this API's events; null for all events of userId",
    nullable: true,
    type: 'string',
    format: 'uuid',
    example: null,
  })
  apiId!: string | null;

  @ApiProperty({
    description:
      'Payload URL (at most 1000 characters, RFC 7230); deliveries are HTTP POST. For tokens with only webhook.readonly, the parts that may be a credential are masked (`https://hooks.slack.com/services/••••uVwX`); a masked URL is refused by POST and PUT.',
    example: 'https://hooks.slack.com/services/123456',
  })
  url!: string;

  @ApiProperty({
    description: 'Subscribed events',
    type: [EventRef],
    example: [{ name: 'api.created' }, { name: 'release.released' }, { name: 'release.deprecated' }],
  })
  events!: EventRef[];

  @ApiProperty({
    description:
      'Secret to verify that deliveries come from ApiTree (Standard Webhooks): `whsec_` + base64 of 32 random bytes. With `signing: ed25519`, the public key instead: `whpk_` + base64 of its 32 bytes (the private key never leaves the service). Omitted for tokens with only webhook.readonly.',
    required: false,
    readOnly: true,
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret?: string;

  @ApiProperty({ description: 'If false, no events are sent to the webhook anymore', example: true })
  active!: boolean;

  @ApiProperty({
    description: 'Custom field to store additional information in JSON format',
    nullable: true,
    type: 'string',
    example: '{"team":"platform"}',
  })
  custom!: string | null;

  @ApiProperty({
    description: 'UTC timestamp the webhook was created - ISO 8601',
    format: 'date-time',
    readOnly: true,
    example: '2019-03-27T17:50:23Z',
  })
  createdAt!: string;

  @ApiProperty({
    description: 'UTC timestamp the webhook was updated the last time - ISO 8601',
    format: 'date-time',
    readOnly: true,
    example: '2019-04-01T09:53:22Z',
  })
  updatedAt!: string;

  @ApiProperty({
    description: 'Information about the last delivery of the webhook; null before the first',
    type: WebhookDeliveryResponse,
    nullable: true,
    readOnly: true,
  })
  lastDelivery!: WebhookDeliveryResponse | null;

  @ApiProperty({
    description:
      "Why the system switched the webhook off: `gone` (URL answered 410), `failing` (failed continuously for WEBHOOK_DISABLE_AFTER) or `membership` (the owner's token no longer lists the organization in userId); null otherwise",
    enum: ['gone', 'failing', 'membership'],
    nullable: true,
    readOnly: true,
    example: null,
  })
  disabledReason!: 'gone' | 'failing' | 'membership' | null;

  @ApiProperty({
    description:
      'At most this many deliveries per second to this webhook, across all workers; null: no limit',
    nullable: true,
    type: 'integer',
    minimum: 1,
    maximum: MAX_RATE_LIMIT,
    example: null,
  })
  rateLimit!: number | null;

  @ApiProperty({ description: SIGNING_DESCRIPTION, enum: ['hmac-sha256', 'ed25519'], example: 'hmac-sha256' })
  signing!: 'hmac-sha256' | 'ed25519';

  @OrderingResponseField()
  ordering!: WebhookOrdering;

  @ApiProperty({
    description: `${HEADERS_DESCRIPTION} {} when there are none. For tokens with only webhook.readonly (and in lifecycle events) each value is \`••••\`.`,
    type: 'object',
    additionalProperties: { type: 'string' },
    maxProperties: MAX_HEADERS,
    example: { Authorization: 'Bearer 8f14e45fceea167a', 'X-Team': 'platform' },
  })
  headers!: Record<string, string>;

  @ApiProperty({
    description: FILTER_DESCRIPTION,
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: FILTER_EXAMPLE,
  })
  filter!: Record<string, unknown> | null;

  @ApiProperty({
    description: 'Where the webhook stands with the delivery engine (fair delivery)',
    type: DeliveryHealthResponse,
    readOnly: true,
  })
  deliveryHealth!: DeliveryHealthResponse;
}
