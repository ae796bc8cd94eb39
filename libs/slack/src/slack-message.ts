import type { PlatformEvent } from '@app/events';
import { operationalSummary } from './slack-operational';

/**
 * Slack incoming-webhook bodies (README → Receiving webhooks → Slack): a webhook whose URL is a Slack
 * incoming webhook gets a readable message instead of the raw event. Everything a user controls is escaped
 * and truncated, so a resource named `<!channel>` cannot ping a channel and a huge one cannot bloat the
 * message.
 */

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: boolean } }
  | { type: 'section'; text?: { type: 'mrkdwn'; text: string }; fields: { type: 'mrkdwn'; text: string }[] }
  | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] };

/** Slack's limits: header text 150, section field 2000 (section text 3000). Ours stay well under. */
const SLACK_HEADER_MAX = 150;
const LABEL_MAX = 200;
const IDENTIFIER_MAX = 100;
/** An operational event's summary: two masked URLs, an event id and a short error fit. */
const SUMMARY_MAX = 600;

/** Only the host decides: Slack serves incoming webhooks from hooks.slack.com over https. */
export function isSlackWebhookUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // URL lower-cases the host and drops the default port, so an explicit other port is refused.
  return parsed.protocol === 'https:' && parsed.hostname === 'hooks.slack.com' && parsed.port === '';
}

/** One line, at most `max` characters (an ellipsis marks the cut; no half surrogate pair). */
function clip(value: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const line = value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
  if (line.length <= max) return line;
  let cut = line.slice(0, max - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** Slack's mrkdwn control characters; escaping them disarms `<!channel>` and `<url|text>` links. */
function escapeMrkdwn(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Clip first, then escape: escaping after the cut can never leave half an entity. */
function safe(value: string, max: number): string {
  return escapeMrkdwn(clip(value, max));
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** The resource's own name for itself, if it has one: name, then title, then id. */
function resourceLabel(resource: unknown): string | undefined {
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) return undefined;
  const record = resource as Record<string, unknown>;
  return scalar(record.name) ?? scalar(record.title) ?? scalar(record.id);
}

export function slackMessage(event: PlatformEvent): { text: string; blocks: SlackBlock[] } {
  const label = resourceLabel(event.resource);
  const resourceType = safe(event.resourceType, IDENTIFIER_MAX);
  const resource = label === undefined ? resourceType : `${resourceType} “${safe(label, LABEL_MAX)}”`;
  const actor = safe(scalar(event.user.nickname) ?? event.user.id, IDENTIFIER_MAX);
  const name = safe(event.name, IDENTIFIER_MAX);

  const fields = [
    { type: 'mrkdwn' as const, text: `*Event*\n${name}` },
    { type: 'mrkdwn' as const, text: `*Resource*\n${resource}` },
    { type: 'mrkdwn' as const, text: `*By*\n${actor}` },
  ];
  if (event.apiId) fields.push({ type: 'mrkdwn', text: `*API*\n${safe(event.apiId, IDENTIFIER_MAX)}` });

  // Operational events lead with what happened to which endpoint (README → Operational events).
  const raw = operationalSummary(event);
  const summary = raw === undefined ? undefined : safe(raw, SUMMARY_MAX);
  return {
    // The fallback for notifications and clients without blocks.
    text: summary ?? `${name}: ${resource} by ${actor}`,
    blocks: [
      {
        type: 'header',
        // plain_text is never parsed for mentions or links; the event name is from our catalog.
        text: { type: 'plain_text', text: clip(`ApiTree: ${event.name}`, SLACK_HEADER_MAX), emoji: false },
      },
      { type: 'section', ...(summary ? { text: { type: 'mrkdwn' as const, text: summary } } : {}), fields },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Event ${safe(event.id, IDENTIFIER_MAX)} · ${safe(event.timestamp, IDENTIFIER_MAX)}`,
          },
        ],
      },
    ],
  };
}
