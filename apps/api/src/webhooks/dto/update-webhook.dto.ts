import { ApiSchema } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import type { SigningAlgorithm } from '@app/signing';
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
import { FilterField } from './webhook-filter';
import { HeadersField } from './webhook-headers';
import { SigningField } from './signing-field';

/** PUT updates the writable fields present; `null` clears `custom`, `apiId`, `headers` and `filter`. */
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

  @IfPresent()
  @SigningField()
  signing?: SigningAlgorithm;
  @IsOptional()
  @FilterField()
  filter?: Record<string, unknown> | null;
}
