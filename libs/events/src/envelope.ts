import { isStorableText } from '@app/text';
import { EventName, isEventName } from './catalog';

export interface EventUser {
  id: string;
  nickname?: string | null;
}

/** What publishers put on the `events` queue (SPEC §7). */
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

/** The delivered Event (SPEC §4): an envelope with its id and timestamp settled. */
export interface PlatformEvent extends EventEnvelope {
  id: string;
  timestamp: string;
}

export const MAX_RESOURCE_BYTES = 256 * 1024;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
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
    if (typeof timestamp !== 'string' || !ISO_8601.test(timestamp) || Number.isNaN(Date.parse(timestamp))) {
      return { ok: false, reason: 'timestamp must be an ISO 8601 date-time' };
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
  if (![id, user.id, user.nickname, resourceType, apiId, ownerId].every(storable)) {
    return {
      ok: false,
      reason: 'id, user, resourceType, apiId and ownerId must not contain NUL or unpaired surrogates',
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
