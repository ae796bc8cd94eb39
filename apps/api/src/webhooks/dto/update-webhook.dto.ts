import { ApiSchema } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import type { WebhookOrdering } from '@app/database';
import {
  ActiveField,
  ApiIdField,
  CustomField,
  EventRef,
  EventsField,
  IfPresent,
  OrderingField,
  RateLimitField,
  UrlField,
  UserIdField,
} from './webhook-field.decorators';
import { IgnoredReadOnlyFields } from './read-only-fields';
import { HeadersField } from './webhook-headers';

/** PUT updates the writable fields present; `null` clears `custom`, `apiId` and `headers`. */
@ApiSchema({
  name: 'WebhookUpdate',
  description: 'The writable fields of a Webhook to change; absent fields keep their value',
})
export class UpdateWebhookDto extends IgnoredReadOnlyFields {
  @IfPresent()
  @UrlField(false)
  url?: string;

  @IfPresent()
  @EventsField(false)
  events?: EventRef[];

  @IfPresent()
  @ActiveField()
  active?: boolean;

  @IsOptional()
  @CustomField()
  custom?: string | null;

  @IsOptional()
  @ApiIdField()
  apiId?: string | null;

  @IfPresent()
  @UserIdField()
  userId?: string;

  @IsOptional()
  @RateLimitField()
  rateLimit?: number | null;

  @IfPresent()
  @OrderingField()
  ordering?: WebhookOrdering;

  @IsOptional()
  @HeadersField()
  headers?: Record<string, string> | null;
}
