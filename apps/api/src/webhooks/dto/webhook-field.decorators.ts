import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsInt,
  IsIn,
  IsNotEmpty,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { WEBHOOK_ORDERINGS } from '@app/database';
import { SUBSCRIBABLE_EVENT_NAMES } from '@app/events';
import { checkWebhookUrlSyntax, MAX_WEBHOOK_URL_LENGTH } from '@app/netguard';

const MAX_CUSTOM_LENGTH = 10_000;

/** Identifiers are printable text: control characters (NUL above all, which PostgreSQL refuses) are not. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

/** Skips validation when the field is absent, but validates an explicit null (and so refuses it). */
export const IfPresent = () => ValidateIf((_object, value) => value !== undefined);

function IsWebhookUrl(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isWebhookUrl',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => typeof value === 'string' && checkWebhookUrlSyntax(value) === null,
        defaultMessage: (args) =>
          `${args?.property ?? 'url'} ${
            typeof args?.value === 'string'
              ? checkWebhookUrlSyntax(args.value)
              : 'must be an absolute http or https URL'
          }`,
      },
    });
}

function IsJsonText(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isJsonText',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          try {
            JSON.parse(value);
            return true;
          } catch {
            return false;
          }
        },
        defaultMessage: (args) => `${args?.property ?? 'custom'} must be a string containing valid JSON`,
      },
    });
}

@ApiSchema({ name: 'EventSubscription', description: 'An event subscribed to, by name' })
export class EventRef {
  @ApiProperty({
    description: 'Event name from the event catalog (GET /events)',
    enum: SUBSCRIBABLE_EVENT_NAMES,
    example: 'api.created',
  })
  @IsString()
  @IsIn(SUBSCRIBABLE_EVENT_NAMES, {
    message: `name must be a subscribable event: ${SUBSCRIBABLE_EVENT_NAMES.join(', ')}`,
  })
  name!: string;
}

export const UrlField = (required: boolean) =>
  applyDecorators(
    ApiProperty({
      required,
      description: `Payload URL with a maximum length of ${MAX_WEBHOOK_URL_LENGTH} characters - RFC 7230 - the webhooks are sent as HTTP POST requests. Absolute http(s) URL, no credentials, not pointing at a private network.`,
      maxLength: MAX_WEBHOOK_URL_LENGTH,
      format: 'uri',
      example: 'https://hooks.slack.com/services/123456',
    }),
    IsString(),
    IsWebhookUrl(),
  );

export const EventsField = (required: boolean) =>
  applyDecorators(
    ApiProperty({
      required,
      type: [EventRef],
      minItems: 1,
      description: 'List of events to subscribe to: non-empty, unique names from the event catalog.',
      example: [{ name: 'api.created' }, { name: 'release.released' }],
    }),
    IsArray(),
    ArrayNotEmpty({ message: 'events must contain at least one event' }),
    ValidateNested({ each: true }),
    Type(() => EventRef),
    ArrayUnique((event: EventRef | null) => event?.name, { message: 'events must not repeat an event name' }),
    // ValidateNested accepts an array item as a list of its own (`[[]]` would pass): such an item
    // becomes a value it refuses and names, like any other item that is not an object.
    Transform(({ value }: { value: unknown }) =>
      Array.isArray(value) ? value.map((item: unknown) => (Array.isArray(item) ? 'array' : item)) : value,
    ),
  );

export const ActiveField = () =>
  applyDecorators(
    ApiProperty({
      required: false,
      default: true,
      description:
        'If false, no events will be sent to the webhook anymore. The webhook is disabled automatically when its URL answers 410 Gone or keeps failing; setting it back to true clears the failure streak.',
    }),
    IsBoolean(),
  );

// `string | null` fields reflect as Object: their OpenAPI type is spelled out, else it reads `object`.
export const CustomField = () =>
  applyDecorators(
    ApiProperty({
      required: false,
      nullable: true,
      type: 'string',
      maxLength: MAX_CUSTOM_LENGTH,
      description: 'Custom field to store additional information in JSON format (at most 10,000 characters).',
      example: '{"team":"platform"}',
    }),
    IsString(),
    MaxLength(MAX_CUSTOM_LENGTH),
    IsJsonText(),
  );

export const ApiIdField = () =>
  applyDecorators(
    ApiProperty({
      required: false,
      nullable: true,
      type: 'string',
      format: 'uuid',
      description:
        'API ID (version 4 UUID - see Core-API) to create a webhook for a single API. In case of a private API the user must be allowed to access the API in order to receive the webhooks.',
      example: '5e2f3c8a-1b4d-4e6f-9a7b-2c3d4e5f6a7b',
    }),
    IsUUID('4', { message: 'apiId must be a version 4 UUID' }),
  );

export const UserIdField = () =>
  applyDecorators(
    ApiProperty({
      required: false,
      description:
        'User identifier (see User-API) to create a webhook for a user / organization: whose events are delivered. Defaults to the caller; must be the caller or one of the organizations in the token.',
      example: '10123',
    }),
    IsString(),
    IsNotEmpty(),
    MaxLength(255),
    Matches(PRINTABLE, { message: 'userId must not contain control characters' }),
  );

const ORDERING_DESCRIPTION =
  '`fifo`: one delivery at a time, in publish order (the event `timestamp`, then the order of fan-out); the next waits until the one before has succeeded or failed for good. `none` (default): deliveries run concurrently. See README → Ordered delivery.';
const ORDERING_RULE = 'ordering must be one of: none, fifo';

export const OrderingField = () =>
  applyDecorators(
    ApiProperty({
      required: false,
      type: 'string',
      enum: [...WEBHOOK_ORDERINGS],
      default: 'none',
      description: ORDERING_DESCRIPTION,
      example: 'fifo',
    }),
    IsIn([...WEBHOOK_ORDERINGS], { message: ORDERING_RULE }),
  );

/** The response's `ordering`: always present. */
export const OrderingResponseField = () =>
  ApiProperty({
    type: 'string',
    enum: [...WEBHOOK_ORDERINGS],
    description: ORDERING_DESCRIPTION,
    example: 'none',
  });

export const MAX_RATE_LIMIT = 10_000;
const RATE_LIMIT_RULE = `rateLimit must be a whole number from 1 to ${MAX_RATE_LIMIT}, or null`;

export const RateLimitField = () =>
  applyDecorators(
    ApiProperty({
      required: false,
      nullable: true,
      type: 'integer',
      minimum: 1,
      maximum: MAX_RATE_LIMIT,
      description:
        'At most this many deliveries per second to this webhook, across all workers (1–10,000; null: no limit). Deliveries over it wait; none is dropped or counted as a failed attempt.',
      example: null,
    }),
    IsInt({ message: RATE_LIMIT_RULE }),
    Min(1, { message: RATE_LIMIT_RULE }),
    Max(MAX_RATE_LIMIT, { message: RATE_LIMIT_RULE }),
  );
