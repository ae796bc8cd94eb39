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

@ApiSchema({ name: 'WebhookCreate', description: 'The writable fields of a Webhook, to create one' })
export class CreateWebhookDto extends IgnoredReadOnlyFields {
  @UrlField(true)
  url!: string;

  @EventsField(true)
  events!: EventRef[];

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
