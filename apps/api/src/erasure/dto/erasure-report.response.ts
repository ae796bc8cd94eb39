import { ApiProperty, ApiSchema } from '@nestjs/swagger';

/** 200 of DELETE /users/{userId}/data: what the erasure removed (all zeros when nothing was left). */
@ApiSchema({ name: 'ErasureReport' })
export class ErasureReportResponse {
  @ApiProperty({ description: 'The user or organization whose data was erased', example: '10123' })
  userId!: string;

  @ApiProperty({
    description:
      'Webhooks removed: those the user created (for itself or an organization) and those delivering its events (`userId`); for an organization, every webhook delivering its events, whichever member created it',
    type: 'integer',
    minimum: 0,
    example: 3,
  })
  webhooks!: number;

  @ApiProperty({
    description: 'Deliveries of those webhooks removed, whatever their status (finished ones included)',
    type: 'integer',
    minimum: 0,
    example: 1250,
  })
  deliveries!: number;

  @ApiProperty({
    description: 'Of `deliveries`, those not finished yet (pending or paused): they will never be sent',
    type: 'integer',
    minimum: 0,
    example: 4,
  })
  pendingDeliveries!: number;

  @ApiProperty({
    description: 'Delivery attempts removed from the delivery log (with their recorded responses)',
    type: 'integer',
    minimum: 0,
    example: 1391,
  })
  attempts!: number;

  @ApiProperty({
    description:
      "Stored event bodies erased: every event whose `ownerId` or `user.id` is this user (its webhooks' lifecycle events included, wherever they went), and every other event that only the removed deliveries referred to. The event's id and name stay until DELIVERY_LOG_RETENTION, so that publishing the same id again delivers nothing; an event also delivered to another owner's webhook, and not this user's, stays whole",
    type: 'integer',
    minimum: 0,
    example: 1187,
  })
  events!: number;

  @ApiProperty({
    description:
      "Deliveries of those erased events to other owners' webhooks that were not finished (pending, paused, or waiting in a fifo line), dropped: an erased body is never sent. Their owners keep the rest of their delivery log",
    type: 'integer',
    minimum: 0,
    example: 2,
  })
  droppedDeliveries!: number;

  @ApiProperty({
    description:
      'Lifecycle events (webhook.created, webhook.updated, …) about these webhooks or for this user that were not sent yet, removed unsent',
    type: 'integer',
    minimum: 0,
    example: 0,
  })
  lifecycleEvents!: number;

  @ApiProperty({
    description:
      "The user's portal sessions removed (signed in or not; their browsers are signed out at their next request)",
    type: 'integer',
    minimum: 0,
    example: 1,
  })
  portalSessions!: number;

  @ApiProperty({
    description: "The user's one-time portal links removed (used or not)",
    type: 'integer',
    minimum: 0,
    example: 2,
  })
  portalLinks!: number;
}
