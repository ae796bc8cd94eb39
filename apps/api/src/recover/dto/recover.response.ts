import { ApiProperty, ApiSchema } from '@nestjs/swagger';

/** 202 of POST /webhooks/{id}/recover. */
@ApiSchema({ name: 'RecoveredDeliveries' })
export class RecoverResponse {
  @ApiProperty({
    description:
      'How many failed deliveries of the window are now pending again (on a fifo webhook: back in its line), each to be sent once more; 0 when none is left (call again with the same window until it answers 0)',
    type: 'integer',
    minimum: 0,
    example: 42,
  })
  deliveries!: number;
}
