import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { EVENT_NAMES } from '@app/events';

/** One HTTP attempt to deliver an event to the webhook. */
@ApiSchema({ name: 'DeliveryAttempt' })
export class DeliveryAttemptResponse {
  @ApiProperty({
    description:
      'Unique attempt identifier: the `x-apitree-delivery` header of that request; pass it to POST /webhooks/{id}/deliveries/{deliveryId}/redeliver',
    format: 'uuid',
    example: '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9',
  })
  id!: string;

  @ApiProperty({
    description:
      'The delivered event: its `id`, and the `webhook-id` header (the same on every retry and redelivery)',
    example: '3b0e7c1a-5d2f-4c8e-9a61-7f4b2d9e0c35',
  })
  eventId!: string;

  @ApiProperty({ description: 'Name of the delivered event', enum: EVENT_NAMES, example: 'api.created' })
  eventName!: string;

  @ApiProperty({
    description:
      'Number of this attempt for this event and webhook, from 1 (retries and redeliveries count on)',
    type: 'integer',
    example: 1,
  })
  attempt!: number;

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
    description: 'Response body as text (cut to 1 KiB), or the error when no usable response came back',
    example: 'OK',
  })
  response!: string;

  @ApiProperty({
    description:
      'Why the attempt failed without a usable response (`timeout after 15000 ms`, `connect ECONNREFUSED …`, `blocked: private address`); null otherwise',
    nullable: true,
    type: 'string',
    example: null,
  })
  error!: string | null;

  @ApiProperty({ description: 'Duration of the attempt in milliseconds', type: 'integer', example: 182 })
  durationMs!: number;

  @ApiProperty({
    description: 'UTC timestamp of the attempt - ISO 8601',
    format: 'date-time',
    example: '2025-11-27T10:15:30.123Z',
  })
  timestamp!: string;
}

@ApiSchema({ name: 'DeliveryAttemptPage' })
export class DeliveryAttemptPageResponse {
  @ApiProperty({ description: 'Attempts, newest first', type: [DeliveryAttemptResponse] })
  items!: DeliveryAttemptResponse[];

  @ApiProperty({
    description: 'Pass as `cursor` to get the next (older) page; null on the last page',
    nullable: true,
    type: 'string',
    example: 'MjAyNS0xMS0yN1QxMDoxNTozMC4xMjM0NTZafDFmMmUzZDRjLTViNmEtNDk3OC04Njk1LWE0YjNjMmQxZTBmOQ',
  })
  nextCursor!: string | null;
}
