import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { EVENT_NAMES } from '@app/events';
import { PRINTABLE } from './webhook-field.decorators';

export class ListWebhooksQuery {
  @ApiPropertyOptional({ description: 'Filter by API identifier (see Core-API)', format: 'uuid' })
  @IsOptional()
  @IsUUID('4', { message: 'apiId must be a version 4 UUID' })
  apiId?: string;

  @ApiPropertyOptional({ description: 'Filter by user / organization identifier', example: '10123' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @Matches(PRINTABLE, { message: 'userId must not contain control characters' })
  userId?: string;

  @ApiPropertyOptional({ description: 'Filter by event name', enum: EVENT_NAMES })
  @IsOptional()
  @IsIn(EVENT_NAMES, { message: 'eventName must be an event name from GET /events' })
  eventName?: string;
}
