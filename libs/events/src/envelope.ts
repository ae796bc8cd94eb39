import { isStorableText } from '@app/text';
import { EventName, isEventName } from './catalog';

export interface EventUser {
  id: string;
  nickname?: string | null;
}

/** What publishers put on the `events` queue (README → Publishing events). */
export interface EventEnvelope {
  /** Optional: when given it is the BullMQ job id, so publishing the same id twice delivers once. */
  id?: string;
  name: EventName;
  /** ISO 8601; defaults to the publish time. */
  timestamp?: string;
  user: EventUser;
  resourceType: string;
  resource: unknown;
  apiId?: string;
  ownerId?: string;
}

/** The delivered Event (README → Receiving webhooks): an envelope with its id and timestamp settled. */
export interface PlatformEvent extends EventEnvelope {
  id: string;
  timestamp: string;
}

export const MAX_RESOURCE_BYTES = 256 * 1024;
/** The whole envelope as a publisher wrote it, unknown fields included: the resource and 8 KiB. */
export const MAX_ENVELOPE_BYTES = MAX_RESOURCE_BYTES + 8 * 1024;
/** user.id, user.nickname, resourceType, apiId, ownerId. */
export const MAX_IDENTIFIER_LENGTH = 255;
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))$/;

/**
 * An ISO 8601 date-time that names a real instant as written: a calendar date (no 30 February, which
 * Date.parse would turn into 1 March), times and offsets in range, and a year from 1 to 9999 both as
 * written and in UTC (a far offset must not make a six-digit year no parser accepts).
 */
export function isCalendarDateTime(text: string): boolean {
  const parts = ISO_8601.exec(text);
  if (!parts) return false;
  const [year, month, day, hour, minute, second = 0, offsetHours = 0, offsetMinutes = 0] = parts
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part))) as number[];
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  if (offsetHours > 23 || offsetMinutes > 59) return false;
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month, 0);
  if (day > lastDay.getUTCDate()) return false;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return false;
  const utcYear = new Date(at).getUTCFullYear();
  return utcYear >= 1 && utcYear <= 9999;
}

/**
 * Whether every number in a JSON value survives JSON in JavaScript: `1e309` parses as Infinity and is
 * written back as null, so such a value would reach receivers altered. Walked without recursion.
 */
function hasOnlyFiniteNumbers(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return false;
    } else if (typeof current === 'object' && current !== null) {
      for (const item of Array.isArray(current) ? current : Object.values(current)) stack.push(item);
    }
  }
  return true;
}
export const MAX_EVENT_ID_LENGTH = 200;
/**
 * An event id is the `webhook-id` header of every delivery, and a BullMQ job id: visible ASCII
 * (`!` to `~`), no space (receivers trim header values, and the signature would not verify), no
 * control character, nothing outside ASCII (not a valid header value), and no ':' (BullMQ).
 */
const EVENT_ID = new RegExp(`^[\\x21-\\x39\\x3b-\\x7e]{1,${MAX_EVENT_ID_LENGTH}}$`);

export type EnvelopeCheck = { ok: true; envelope: EventEnvelope } | { ok: false; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strings end up in PostgreSQL text columns (see isStorableText). */
function storable(value: unknown): boolean {
  return typeof value !== 'string' || isStorableText(value);
}

function optionalString(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value !== '');
}

/**
 * Validates an envelope from any publisher. Returns the first problem, worded for BullMQ's failed
 * set, or the envelope with only the known fields kept.
 */
export function validateEnvelope(data: unknown, jobName?: string): EnvelopeCheck {
  if (!isRecord(data)) return { ok: false, reason: 'envelope must be a JSON object' };
  if (Buffer.byteLength(JSON.stringify(data)) > MAX_ENVELOPE_BYTES) {
    return { ok: false, reason: `envelope is larger than ${MAX_ENVELOPE_BYTES / 1024} KiB` };
  }
  const { id, name, timestamp, user, resourceType, resource, apiId, ownerId } = data;
  if (!isEventName(name)) return { ok: false, reason: `unknown event name: ${JSON.stringify(name)}` };
  if (jobName !== undefined && jobName !== name) {
    return { ok: false, reason: `job name ${JSON.stringify(jobName)} does not match event name ${name}` };
  }
  if (id !== undefined && id !== null) {
    if (typeof id !== 'string' || !EVENT_ID.test(id)) {
      return {
        ok: false,
        reason: `id must be 1 to ${MAX_EVENT_ID_LENGTH} visible ASCII characters (! to ~) other than ':'`,
      };
    }
  }
  if (timestamp !== undefined && timestamp !== null) {
    if (typeof timestamp !== 'string' || !isCalendarDateTime(timestamp)) {
      return {
        ok: false,
        reason: 'timestamp must be an ISO 8601 date-time with a real calendar date, years 1 to 9999',
      };
    }
  }
  if (!isRecord(user) || typeof user.id !== 'string' || user.id === '') {
    return { ok: false, reason: 'user.id is required' };
  }
  if (user.nickname !== undefined && user.nickname !== null && typeof user.nickname !== 'string') {
    return { ok: false, reason: 'user.nickname must be a string' };
  }
  if (typeof resourceType !== 'string' || resourceType === '') {
    return { ok: false, reason: 'resourceType is required' };
  }
  if (!optionalString(apiId) || !optionalString(ownerId)) {
    return { ok: false, reason: 'apiId and ownerId must be non-empty strings when given' };
  }
  if (!apiId && !ownerId) return { ok: false, reason: 'one of apiId or ownerId is required' };
  const identifiers = [user.id, user.nickname, resourceType, apiId, ownerId];
  if (identifiers.some((value) => typeof value === 'string' && value.length > MAX_IDENTIFIER_LENGTH)) {
    return {
      ok: false,
      reason: `user.id, user.nickname, resourceType, apiId and ownerId must be at most ${MAX_IDENTIFIER_LENGTH} characters`,
    };
  }
  if (![id, user.id, user.nickname, resourceType, apiId, ownerId].every(storable)) {
    return {
      ok: false,
      reason: 'id, user, resourceType, apiId and ownerId must not contain NUL or unpaired surrogates',
    };
  }
  if (!hasOnlyFiniteNumbers(resource)) {
    return {
      ok: false,
      reason: 'resource holds a number JSON cannot carry (NaN, Infinity, or beyond ±1.8e308)',
    };
  }
  const resourceJson = JSON.stringify(resource ?? null);
  if (Buffer.byteLength(resourceJson) > MAX_RESOURCE_BYTES) {
    return { ok: false, reason: `resource is larger than ${MAX_RESOURCE_BYTES / 1024} KiB` };
  }
  return {
    ok: true,
    envelope: {
      ...(id ? { id } : {}),
      name,
      ...(timestamp ? { timestamp: new Date(timestamp).toISOString() } : {}),
      user: { id: user.id, ...(typeof user.nickname === 'string' ? { nickname: user.nickname } : {}) },
      resourceType,
      resource: resource ?? null,
      ...(apiId ? { apiId: apiId as string } : {}),
      ...(ownerId ? { ownerId: ownerId as string } : {}),
    },
  };
}

/** The Event as delivered: fixed key order, so the signed body is stable. */
export function toPlatformEvent(envelope: EventEnvelope, id: string, timestamp: string): PlatformEvent {
  return {
    id,
    name: envelope.name,
    timestamp,
    user: envelope.user,
    resourceType: envelope.resourceType,
    resource: envelope.resource,
    ...(envelope.apiId ? { apiId: envelope.apiId } : {}),
    ...(envelope.ownerId ? { ownerId: envelope.ownerId } : {}),
  };
}
