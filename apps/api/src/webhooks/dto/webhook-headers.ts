import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { registerDecorator } from 'class-validator';
import { isReservedHeaderName, RESERVED_HEADERS_RULE } from '@app/signing';
import type { FieldError } from '../../common/error-response.dto';

/** Limits of a webhook's custom headers (README → API → Webhook fields). */
export const MAX_HEADERS = 20;
export const MAX_HEADER_NAME_LENGTH = 64;
export const MAX_HEADER_VALUE_LENGTH = 1000;
/** Names and values together: keeps a request's head well under common servers' 8 KiB–16 KiB limits. */
export const MAX_HEADERS_TOTAL = 8192;

/** RFC 7230 `token`: one or more tchar. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII, space and tab inside (RFC 7230 field-content, without obs-text), nothing around. */
const VALUE = /^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$/;

function valueProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_HEADER_VALUE_LENGTH) return `must be at most ${MAX_HEADER_VALUE_LENGTH} characters`;
  if (!VALUE.test(value)) {
    return 'must be visible ASCII characters, spaces and tabs, with no leading or trailing whitespace (no line breaks)';
  }
  return null;
}

function nameProblem(name: string, seen: Set<string>): string | null {
  if (name.length > MAX_HEADER_NAME_LENGTH)
    return `name must be at most ${MAX_HEADER_NAME_LENGTH} characters`;
  if (!TOKEN.test(name)) return "name must be an RFC 7230 token (letters, digits and !#$%&'*+-.^_`|~)";
  const lower = name.toLowerCase();
  if (isReservedHeaderName(lower)) return `is reserved: ${RESERVED_HEADERS_RULE}`;
  if (seen.has(lower)) return 'repeats a header name (names are case-insensitive)';
  seen.add(lower);
  return null;
}

/** Every problem with a `headers` value, one per header (`headers.<name>`); empty when it is valid. */
export function webhookHeaderErrors(headers: unknown): FieldError[] {
  if (headers === null || headers === undefined) return [];
  if (typeof headers !== 'object' || Array.isArray(headers)) {
    return [
      { field: 'headers', message: 'headers must be an object of header names to string values, or null' },
    ];
  }
  const entries = Object.entries(headers as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) {
    return [{ field: 'headers', message: `headers must have at most ${MAX_HEADERS} entries` }];
  }
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const [name, value] of entries) {
    const field = `headers.${name}`;
    const problem = nameProblem(name, seen) ?? valueProblem(value);
    if (problem) errors.push({ field, message: `${field} ${problem}` });
    else total += name.length + (value as string).length;
  }
  if (errors.length === 0 && total > MAX_HEADERS_TOTAL) {
    errors.push({
      field: 'headers',
      message: `headers names and values together must be at most ${MAX_HEADERS_TOTAL} characters`,
    });
  }
  return errors;
}

/** Null and `{}` both mean no custom headers; stored as null. */
export function storedHeaders(
  headers: Record<string, string> | null | undefined,
): Record<string, string> | null {
  return headers && Object.keys(headers).length > 0 ? { ...headers } : null;
}

/**
 * The validator reports `headers` as a whole; the validation pipe asks `context.fieldErrors` for
 * the per-header errors (`headers.X-Foo`), which class-validator cannot name by itself.
 */
function AreWebhookHeaders(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'webhookHeaders',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { context: { fieldErrors: webhookHeaderErrors } },
      validator: {
        validate: (value: unknown) => webhookHeaderErrors(value).length === 0,
        defaultMessage: (args) =>
          webhookHeaderErrors(args?.value)
            .map((error) => error.message)
            .join('; '),
      },
    });
}

export const HEADERS_DESCRIPTION = `Custom HTTP headers sent with every delivery, besides ApiTree's own, e.g. a credential the receiver checks: at most ${MAX_HEADERS}; names are RFC 7230 tokens of at most ${MAX_HEADER_NAME_LENGTH} characters, unique regardless of case; values are 1–${MAX_HEADER_VALUE_LENGTH} visible ASCII characters (spaces and tabs inside); names and values together at most ${MAX_HEADERS_TOTAL} characters. Reserved names are refused, in any case: host, content-* (content-type, content-length, content-encoding, …), transfer-encoding, connection, keep-alive, upgrade, expect, te, trailer, proxy-connection, user-agent, webhook, webhook-*, x-apitree, x-apitree-*.`;

export const HeadersField = () =>
  applyDecorators(
    ApiProperty({
      required: false,
      nullable: true,
      type: Object,
      additionalProperties: { type: 'string', minLength: 1, maxLength: MAX_HEADER_VALUE_LENGTH },
      maxProperties: MAX_HEADERS,
      description: `${HEADERS_DESCRIPTION} Stored encrypted like the secret. On PUT the map replaces the current one; null or {} removes them all.`,
      example: { Authorization: 'Bearer 8f14e45fceea167a', 'X-Team': 'platform' },
    }),
    AreWebhookHeaders(),
  );
