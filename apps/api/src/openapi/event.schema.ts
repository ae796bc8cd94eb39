import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { EVENT_NAMES } from '@app/events';

@ApiSchema({ name: 'EventUser', description: 'Who caused the event' })
class EventUserSchema {
  @ApiProperty({ description: 'User identifier (`system` for the delivery engine)', example: '10123' })
  id!: string;

  @ApiPropertyOptional({
    description: 'Nickname of the user',
    type: 'string',
    nullable: true,
    example: 'jdoe',
  })
  nickname?: string | null;
}

/** The body of every delivery (README → Receiving webhooks); only documented, never validated by the API. */
@ApiSchema({
  name: 'Event',
  description:
    'The notification message POSTed to a webhook URL for an event; Slack incoming-webhook URLs (`https://hooks.slack.com/…`) get a Slack message (`{"text", "blocks"}`) summarising it instead',
})
export class EventSchema {
  @ApiProperty({
    description:
      'Event identifier, also the `webhook-id` header: the same on every retry and redelivery (deduplicate on it)',
    example: '3b0e7c1a-5d2f-4c8e-9a61-7f4b2d9e0c35',
  })
  id!: string;

  @ApiProperty({
    description: 'Event name from the event catalog (GET /events)',
    enum: EVENT_NAMES,
    example: 'api.created',
  })
  name!: string;

  @ApiProperty({
    description: 'UTC timestamp of the event - ISO 8601',
    format: 'date-time',
    example: '2025-11-27T10:15:30.123Z',
  })
  timestamp!: string;

  @ApiProperty({ description: 'Who caused the event', type: EventUserSchema })
  user!: EventUserSchema;

  @ApiProperty({ description: 'Type of `resource`, per event in the catalog', example: 'Api' })
  resourceType!: string;

  @ApiProperty({
    description:
      'The resource the event is about, as the publishing service sent it; for `webhook.*` events the Webhook without its secret, its URL masked',
    type: 'object',
    additionalProperties: true,
    example: { id: 'c0a5e2d4-7b1f-4c3a-8e9d-2f6b1a0c4d7e', name: 'Pets' },
  })
  resource!: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'The API the event belongs to (version 4 UUID); webhooks with this apiId receive it',
    format: 'uuid',
    example: '5e2f3c8a-1b4d-4e6f-9a7b-2c3d4e5f6a7b',
  })
  apiId?: string;

  @ApiPropertyOptional({
    description: 'User or organization whose webhooks without apiId receive it',
    example: '10123',
  })
  ownerId?: string;
}
