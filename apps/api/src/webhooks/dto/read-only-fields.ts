import { ApiHideProperty } from '@nestjs/swagger';
import { Allow } from 'class-validator';

/**
 * Read-only fields of a Webhook. They are accepted in request bodies, so a GET response can be
 * sent back as it is, and ignored; anything else unknown is a 400.
 */
export abstract class IgnoredReadOnlyFields {
  @ApiHideProperty() @Allow() id?: unknown;
  @ApiHideProperty() @Allow() user?: unknown;
  @ApiHideProperty() @Allow() secret?: unknown;
  @ApiHideProperty() @Allow() createdAt?: unknown;
  @ApiHideProperty() @Allow() updatedAt?: unknown;
  @ApiHideProperty() @Allow() lastDelivery?: unknown;
  @ApiHideProperty() @Allow() disabledReason?: unknown;
  @ApiHideProperty() @Allow() deliveryHealth?: unknown;
}
