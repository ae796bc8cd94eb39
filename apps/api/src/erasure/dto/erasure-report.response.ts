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
      "Stored event bodies removed: those only these webhooks' deliveries referred to (an event also delivered to another owner's webhook stays with that delivery)",
    type: 'integer',
    minimum: 0,
    example: 1187,
  })
  events!: number;

  @ApiProperty({
    description:
      'Lifecycle events (webhook.created, webhook.updated, …) about these webhooks or for this user that were not sent yet, removed unsent',
    type: 'integer',
    minimum: 0,
    example: 0,
  })
  lifecycleEvents!: number;
}
