import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventPublisher } from '@app/events';
import {
  bearer,
  createWebhook,
  builtEntry,
  freePort,
  mintToken,
  ReceivedRequest,
  ReceiverHandler,
  RunningProcess,
  startProcess,
  TEST_JWT_SECRET,
} from '@app/testing';
import { createPipelineApi, TestApi } from './pipeline';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `path webhook-id`: one (webhook, event) pair as the receiver sees it. */
export const pairKey = (incoming: ReceivedRequest): string =>
  `${incoming.url} ${String(incoming.headers['webhook-id'])}`;

/** Receiver handlers that hold each request before answering, and count what is held at once. */
export class InFlight {
  readonly current = new Set<ReceivedRequest>();
  max = 0;

  holding(ms: number, status: (incoming: ReceivedRequest) => number = () => 200): ReceiverHandler {
    return (incoming, response) => {
      this.current.add(incoming);
      this.max = Math.max(this.max, this.current.size);
      setTimeout(() => {
        this.current.delete(incoming);
        response.statusCode = status(incoming);
        response.end('OK');
      }, ms);
    };
  }
}

/** An in-process API (for creating webhooks) and a publisher on one queue prefix, for one test. */
export interface Scenario {
  env: Record<string, string>;
  api: TestApi;
  publisher: EventPublisher;
  dataSource: DataSource;
  apiId: string;
  /** Creates one webhook per URL subscribed to api.created on this scenario's apiId. */
  createWebhooks(urls: string[]): Promise<string[]>;
  publish(count: number): Promise<string[]>;
  deliveries(webhookIds: string[]): Promise<Array<{ status: string; attempts: number }>>;
  close(): Promise<void>;
}

export async function createScenario(env: Record<string, string>): Promise<Scenario> {
  const api = await createPipelineApi(env);
  const publisher = new EventPublisher({ redisUrl: api.config.redisUrl, prefix: api.config.queuePrefix });
  const dataSource = api.app.get(DataSource);
  const apiId = randomUUID();
  const auth = bearer(mintToken({ sub: `resil-${apiId}` }));
  return {
    env,
    api,
    publisher,
    dataSource,
    apiId,
    createWebhooks: async (urls) => {
      const ids: string[] = [];
      for (const url of urls) {
        ids.push((await createWebhook(api.http, auth, { url, events: ['api.created'], apiId })).id);
      }
      return ids;
    },
    publish: async (count) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i += 1) {
        ids.push(
          await publisher.publish({
            name: 'api.created',
            user: { id: 'u-resil' },
            resourceType: 'Api',
            resource: { id: apiId, n: i },
            apiId,
          }),
        );
      }
      return ids;
    },
    deliveries: (webhookIds) =>
      dataSource.query('SELECT status, attempts FROM deliveries WHERE webhook_id = ANY($1)', [webhookIds]),
    close: async () => {
      // Whatever a failed test left pending must not reach the next test's receiver.
      await dataSource.query('DELETE FROM webhooks WHERE api_id = $1', [apiId]);
      await publisher.close();
      await api.close();
    },
  };
}

/** Starts the built worker on the run's database and the given queue prefix / Redis. */
export async function spawnWorker(env: Record<string, string>): Promise<RunningProcess> {
  return startProcess(builtEntry('worker'), {
    DATABASE_URL: process.env.EVENT_API_TEST_DATABASE_URL as string,
    REDIS_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    HOST: '127.0.0.1',
    WORKER_PORT: String(await freePort()),
    ...env,
  });
}
