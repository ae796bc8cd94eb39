import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { bearer, createWebhook, HttpReceiver, mintToken } from '@app/testing';
import { HealthServer } from '../../apps/worker/src/health-server';
import { createPipeline, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

/** `name{labels} value` of a Prometheus text exposition. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** README → Event schemas: the worker checks each published resource against its event's schema, warn-only. */
describe('Event schemas: warn-only check of published resources (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new HttpReceiver();
  const apiId = randomUUID();
  let workerUrl: string;
  let warn: jest.SpyInstance;

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(pipelineEnv('event-schemas'));
    workerUrl = `http://127.0.0.1:${pipeline.worker.app.get(HealthServer).port}`;
    warn = jest.spyOn(Logger.prototype, 'warn');
  });
  afterAll(async () => {
    warn.mockRestore();
    await pipeline.close();
    await receiver.stop();
  });

  const mismatches = async (event: string) =>
    sample(
      await (await fetch(`${workerUrl}/metrics`)).text(),
      'event_api_events_schema_mismatches_total',
      `{event="${event}"}`,
    );

  it('delivers a mismatching event anyway, counts every one and warns once per event and path', async () => {
    const auth = bearer(mintToken({ sub: `schemas-${Date.now()}` }));
    await createWebhook(pipeline.api.http, auth, {
      url: `${receiver.url}/hook`,
      events: [{ name: 'release.created' }],
      apiId,
    });
    expect(await mismatches('release.created')).toBe(0);
    const base = { name: 'release.created' as const, user: { id: 'u' }, resourceType: 'Release', apiId };
    // No `id`, twice; another event's resourceType; and one that matches.
    await pipeline.publisher.publish({ ...base, resource: { version: '1.0.0' } });
    await pipeline.publisher.publish({ ...base, resource: { version: '1.0.1' } });
    await pipeline.publisher.publish({ ...base, resourceType: 'Api', resource: { id: 'a-1' } });
    await pipeline.publisher.publish({ ...base, resource: { id: 'r-1', version: '1.0.2' } });

    await waitUntil(async () => receiver.requests.length >= 4, 10_000, 'all four events delivered');
    const delivered = receiver.requests.map((r) => (JSON.parse(r.body) as { resource: unknown }).resource);
    expect(delivered).toEqual(
      expect.arrayContaining([{ version: '1.0.0' }, { version: '1.0.1' }, { id: 'a-1' }]),
    );
    expect(await mismatches('release.created')).toBe(3);
    expect(await mismatches('api.created')).toBe(0);
    const lines = warn.mock.calls
      .map(([message]) => String(message))
      .filter((message) => message.includes('does not match its schema'));
    expect(lines).toEqual([
      expect.stringContaining(
        'release.created does not match its schema at /resource/id: must have required property',
      ),
      expect.stringContaining(
        'release.created does not match its schema at /resourceType: must be equal to constant',
      ),
    ]);
  });
});
