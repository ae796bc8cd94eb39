/**
 * npm run publish-event -- FILE.json
 * npm run publish-event -- --name api.created --user-id 10123 [--nickname N] --resource-type Api
 *                          [--resource '{"name":"Pets"}'] [--api-id UUID] [--owner-id ID] [--id ID]
 * Publishes one event envelope (README → Publishing events) to the `events` queue with REDIS_URL and
 * QUEUE_PREFIX.
 */
import { readFileSync } from 'node:fs';
import { loadConfigOrExit, queueTarget } from '@app/config';
import { EventEnvelope, EventPublisher, InvalidEnvelopeError } from '@app/events';
import { fail, parseArgs } from './args';

function envelopeFromFlags(flags: Map<string, string>): Record<string, unknown> {
  let resource: unknown = {};
  const text = flags.get('resource');
  if (text !== undefined) {
    try {
      resource = JSON.parse(text);
    } catch {
      fail('--resource must be JSON');
    }
  }
  const nickname = flags.get('nickname');
  return {
    id: flags.get('id'),
    name: flags.get('name'),
    timestamp: flags.get('timestamp'),
    user: { id: flags.get('user-id'), ...(nickname ? { nickname } : {}) },
    resourceType: flags.get('resource-type'),
    resource,
    apiId: flags.get('api-id'),
    ownerId: flags.get('owner-id'),
  };
}

async function main(): Promise<void> {
  const { flags, positional } = parseArgs(process.argv.slice(2));
  let envelope: unknown;
  if (positional.length > 0) {
    try {
      envelope = JSON.parse(readFileSync(positional[0], 'utf8'));
    } catch (error) {
      fail(`cannot read ${positional[0]}: ${(error as Error).message}`);
    }
  } else if (flags.has('name')) {
    envelope = envelopeFromFlags(flags);
  } else {
    fail(
      'usage: npm run publish-event -- FILE.json | --name NAME --user-id ID --resource-type TYPE [--api-id ID] [--owner-id ID] [--resource JSON] [--id ID]',
    );
  }
  const config = loadConfigOrExit();
  const publisher = new EventPublisher(queueTarget(config));
  try {
    const id = await publisher.publish(envelope as EventEnvelope);
    process.stdout.write(
      `${JSON.stringify({ published: id, queue: 'events', prefix: config.queuePrefix })}\n`,
    );
  } catch (error) {
    fail(
      error instanceof InvalidEnvelopeError
        ? `invalid envelope: ${error.message}`
        : `publish failed: ${(error as Error).message}`,
    );
  } finally {
    await publisher.close();
  }
}

void main();
