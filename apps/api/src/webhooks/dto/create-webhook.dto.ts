import { IsOptional } from 'class-validator';
import {
  ActiveField,
  ApiIdField,
  CustomField,
  EventRef,
  EventsField,
  IfPresent,
  RateLimitField,
  UrlField,
  UserIdField,
} from './webhook-field.decorators';
import { IgnoredReadOnlyFields } from './read-only-fields';

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
}
