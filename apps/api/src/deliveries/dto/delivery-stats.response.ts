import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'DeliveryHour', description: 'Delivery attempts of one hour' })
export class DeliveryHourResponse {
  @ApiProperty({
    description: 'Start of the hour (UTC)',
    format: 'date-time',
    example: '2026-12-03T19:00:00.000Z',
  })
  hour!: string;

  @ApiProperty({ description: 'Attempts answered with a 2xx in this hour', type: 'integer', example: 42 })
  succeeded!: number;

  @ApiProperty({
    description: 'Attempts that failed in this hour (non-2xx, timeout, connection error, blocked)',
    type: 'integer',
    example: 3,
  })
  failed!: number;
}

@ApiSchema({
  name: 'DeliveryStats',
  description: 'Delivery attempts of the last 24 hours, per hour, from the delivery log',
})
export class DeliveryStatsResponse {
  @ApiProperty({
    type: [DeliveryHourResponse],
    description:
      '24 entries, oldest first; the last is the current hour, so far. Every attempt counts (a retry or a redelivery too); hours without attempts count 0.',
  })
  hours!: DeliveryHourResponse[];
}
