import type { PlatformEvent } from '@app/events';

/*
 * The one-line summary a Slack message leads with for an operational event (README → Operational
 * events): what happened to which endpoint, in words. Returned raw: slack-message.ts clips and
 * escapes it like every other value.
 */

type Fields = Record<string, unknown>;

function record(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** `503`, or the error when there was no HTTP answer (`timeout after 15000 ms`). */
function outcome(last: Fields | undefined): string | undefined {
  if (!last) return undefined;
  const status = count(last.statusCode);
  if (status !== undefined) return String(status);
  return text(last.error) ?? text(last.response);
}

function lastPart(last: Fields | undefined): string {
  const what = outcome(last);
  return what === undefined ? '' : ` (last: ${what})`;
}

function attemptsPart(attempts: number | undefined, fallback: string): string {
  if (attempts === undefined) return fallback;
  return `${attempts} attempt${attempts === 1 ? '' : 's'}`;
}

export function operationalSummary(event: PlatformEvent): string | undefined {
  const resource = record(event.resource);
  if (!resource) return undefined;
  const endpoint = `Endpoint ${text(resource.url) ?? 'of a webhook'}`;
  switch (event.name) {
    case 'webhook.failing': {
      const failures = attemptsPart(count(resource.consecutiveFailures), 'several attempts');
      return `${endpoint} is failing: ${failures} in a row failed${lastPart(record(resource.lastDelivery))}`;
    }
    case 'webhook.recovered': {
      const since = text(resource.failingSince);
      return `${endpoint} recovered: a delivery succeeded again${since ? ` (failing since ${since})` : ''}`;
    }
    case 'webhook.paused': {
      const until = text(record(resource.deliveryHealth)?.pausedUntil);
      return `${endpoint} stopped answering: its deliveries are paused${until ? ` until ${until}` : ''}${lastPart(record(resource.lastDelivery))}`;
    }
    case 'webhook.resumed':
      return `${endpoint} answers again: its deliveries resumed`;
    case 'delivery.exhausted': {
      const webhook = record(resource.webhook);
      const delivered = record(resource.event);
      const name = text(delivered?.name) ?? 'an event';
      const id = text(delivered?.id);
      const attempts = attemptsPart(count(resource.attempts), 'its last attempt');
      return `Delivery of ${name}${id ? ` ${id}` : ''} to ${text(webhook?.url) ?? 'a webhook'} gave up after ${attempts}${lastPart(record(resource.lastAttempt))}`;
    }
    default:
      return undefined;
  }
}
