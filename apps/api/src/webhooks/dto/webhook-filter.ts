import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { registerDecorator } from 'class-validator';
import { isStorableText } from '@app/text';
import type { FieldError } from '../../common/error-response.dto';

/** Limits of a webhook's payload filter (README → Payload filters). */
export const MAX_FILTER_BYTES = 4096;
/** Levels of objects and arrays, the filter itself being the first. */
export const MAX_FILTER_DEPTH = 5;
/** Keys at every level together. */
export const MAX_FILTER_KEYS = 50;

/** The top-level fields of the delivered Event: a filter can only ever match on these. */
export const EVENT_FIELDS = [
  'id',
  'name',
  'timestamp',
  'user',
  'resourceType',
  'resource',
  'apiId',
  'ownerId',
] as const;
const TOP_LEVEL = new Set<string>(EVENT_FIELDS);

/** Keys every object inherits: never looked up, refused so a filter cannot reach a prototype. */
const PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`;
}

/**
 * Every problem with a `filter` value, worded for the 400 (`filter` or `filter.<path>`); empty
 * when it is valid. Walked without recursion, before anything serializes it.
 */
export function webhookFilterErrors(filter: unknown): FieldError[] {
  if (filter === null || filter === undefined) return [];
  if (!isRecord(filter)) {
    return [
      {
        field: 'filter',
        message: 'filter must be a JSON object (the fields an event must contain), or null',
      },
    ];
  }
  const stack: Array<{ value: unknown; path: string; depth: number }> = [
    { value: filter, path: 'filter', depth: 1 },
  ];
  let keys = 0;
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (typeof value === 'string') {
      if (!isStorableText(value))
        return [{ field: path, message: `${path} must not contain NUL or unpaired surrogates` }];
      continue;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return [{ field: path, message: `${path} must be a finite number` }];
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_FILTER_DEPTH) {
      return [{ field: 'filter', message: `filter must be nested at most ${MAX_FILTER_DEPTH} levels deep` }];
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push({ value: item, path: join(path, index), depth: depth + 1 }));
      continue;
    }
    for (const key of Object.keys(value)) {
      const field = join(path, key);
      if (!isStorableText(key)) {
        return [{ field: path, message: `${path} has a key with NUL or unpaired surrogates` }];
      }
      if (PROTOTYPE_NAMES.has(key)) return [{ field, message: `${field} names an Object.prototype member` }];
      if (depth === 1 && !TOP_LEVEL.has(key)) {
        return [
          {
            field,
            message: `${field} is not a field of the Event: filter keys are ${EVENT_FIELDS.join(', ')} (the resource's own fields go under resource)`,
          },
        ];
      }
      keys += 1;
      if (keys > MAX_FILTER_KEYS) {
        return [{ field: 'filter', message: `filter must have at most ${MAX_FILTER_KEYS} keys in all` }];
      }
      stack.push({ value: (value as Record<string, unknown>)[key], path: field, depth: depth + 1 });
    }
  }
  if (Buffer.byteLength(JSON.stringify(filter)) > MAX_FILTER_BYTES) {
    return [{ field: 'filter', message: `filter must be at most ${MAX_FILTER_BYTES} bytes as JSON` }];
  }
  return [];
}

/** Null and `{}` both mean every subscribed event; stored as null. */
export function storedFilter(
  filter: Record<string, unknown> | null | undefined,
): Record<string, unknown> | null {
  return filter && Object.keys(filter).length > 0 ? filter : null;
}

/** Reported as a whole by class-validator; the validation pipe asks `context.fieldErrors` for the path. */
function IsWebhookFilter(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'webhookFilter',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { context: { fieldErrors: webhookFilterErrors } },
      validator: {
        validate: (value: unknown) => webhookFilterErrors(value).length === 0,
        defaultMessage: (args) =>
          webhookFilterErrors(args?.value)
            .map((error) => error.message)
            .join('; '),
      },
    });
}

export const FILTER_DESCRIPTION = `Payload filter: a JSON object the delivered Event must contain (PostgreSQL jsonb containment, \`@>\`): objects match when every key given matches, arrays when every item given is among the event's, scalars when equal. Keys at the top are the Event's fields (${EVENT_FIELDS.join(', ')}). Null delivers every subscribed event. At most ${MAX_FILTER_BYTES} bytes as JSON, ${MAX_FILTER_DEPTH} levels deep, ${MAX_FILTER_KEYS} keys in all.`;

export const FILTER_EXAMPLE = { resource: { visibility: 'public' } };

export const FilterField = () =>
  applyDecorators(
    ApiProperty({
      required: false,
      nullable: true,
      type: Object,
      additionalProperties: true,
      description: `${FILTER_DESCRIPTION} On PUT the filter replaces the current one; null or {} removes it.`,
      example: FILTER_EXAMPLE,
    }),
    IsWebhookFilter(),
  );
