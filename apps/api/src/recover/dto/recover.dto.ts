import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsDefined, ValidateIf, ValidateBy } from 'class-validator';
import { isCalendarDateTime } from '@app/events';

/** Longer than any ISO 8601 date-time: the calendar check never sees an oversized string. */
const MAX_DATE_TIME_LENGTH = 64;

const DateTime = (field: string) =>
  ValidateBy({
    name: 'isCalendarDateTime',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && value.length <= MAX_DATE_TIME_LENGTH && isCalendarDateTime(value),
      defaultMessage: () =>
        `${field} must be an ISO 8601 date-time with a real calendar date and a time zone, like 2026-01-02T03:04:05Z`,
    },
  });

/** Body of POST /webhooks/{id}/recover. */
@ApiSchema({
  name: 'RecoverRequest',
  description: 'The window of failed deliveries to send again: [since, until)',
})
export class RecoverDto {
  @ApiProperty({
    description:
      'Start of the window (inclusive): an ISO 8601 date-time with a time zone (`Z` or an offset), no earlier than DELIVERY_LOG_RETENTION (30 days) ago',
    format: 'date-time',
    example: '2026-01-02T00:00:00Z',
  })
  @IsDefined({ message: 'since is required' })
  @DateTime('since')
  since!: string;

  @ApiPropertyOptional({
    description:
      'End of the window (exclusive), like `since`; default and upper bound: now (a later time counts as now)',
    format: 'date-time',
    example: '2026-01-02T06:00:00Z',
  })
  @ValidateIf((_object, value) => value !== undefined)
  @DateTime('until')
  until?: string;
}
