import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min, registerDecorator } from 'class-validator';
import { EVENT_NAMES } from '@app/events';
import { decodeDeliveryCursor } from '../delivery-cursor';

export const DEFAULT_DELIVERIES_LIMIT = 20;
const MAX_DELIVERIES_LIMIT = 100;

const LIMIT_MESSAGE = `limit must be an integer from 1 to ${MAX_DELIVERIES_LIMIT}`;

/** Query values are text: only plain decimal integers become numbers ('1.5', '1e1', '' stay text and fail). */
const toInteger = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : value;

/** Only the words `true` and `false` are booleans (not 1/0/yes). */
const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

function IsDeliveryCursor(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isDeliveryCursor',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => typeof value === 'string' && decodeDeliveryCursor(value) !== null,
        defaultMessage: () => 'cursor must be the nextCursor of a previous page',
      },
    });
}

export class ListDeliveriesQuery {
  @ApiPropertyOptional({
    description: `Page size: an integer from 1 to ${MAX_DELIVERIES_LIMIT}`,
    type: 'integer',
    minimum: 1,
    maximum: MAX_DELIVERIES_LIMIT,
    default: DEFAULT_DELIVERIES_LIMIT,
  })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(MAX_DELIVERIES_LIMIT, { message: LIMIT_MESSAGE })
  limit?: number;

  @ApiPropertyOptional({
    description: 'Opaque position: the `nextCursor` of the previous page; omit for the newest attempts',
    example: 'MjAyNS0xMS0yN1QxMDoxNTozMC4xMjM0NTZafDhjNmQxZjBlLTJhNGItNGUzYy05ZDVmLTFiN2EwZTZjMmQ0OA',
  })
  @IsOptional()
  @IsString()
  @IsDeliveryCursor()
  cursor?: string;

  @ApiPropertyOptional({
    description: 'Only successful (`true`) or only failed (`false`) attempts',
    type: 'boolean',
  })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'success must be true or false' })
  success?: boolean;

  @ApiPropertyOptional({ description: 'Only attempts delivering this event', enum: EVENT_NAMES })
  @IsOptional()
  @IsIn(EVENT_NAMES, { message: 'eventName must be an event name from GET /events' })
  eventName?: string;
}
