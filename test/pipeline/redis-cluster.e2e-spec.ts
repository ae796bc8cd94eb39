import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  bearer,
  builtEntry,
  freePort,
  HttpReceiver,
  mintToken,
  PrivateRedisCluster,
  startProcess,
  TEST_JWT_SECRET,
  waitForOutput,
} from '@app/testing';
import { loadConfig } from '@app/config';
import { redisAppendonlyOff } from '../../apps/cli/src/development-defaults';
import { HealthServer } from '../../apps/worker/src/health-server';
import { createPipeline, createPipelineApi, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

/**
 * Past one Redis (Operations → Redis Cluster): a local three-master Redis Cluster, REDIS_CLUSTER=true and a
 * QUEUE_PREFIX with a hash tag. Everything that talks to Redis runs against it: the publisher,
 * fan-out, delivery, the API's producers (ping), the rate limit, health, the worker's start-up checks.
 */
describe('Redis Cluster (e2e, three local masters)', () => {
  let cluster: PrivateRedisCluster;
  let pipeline: Pipeline;
  let env: Record<string, string>;
  const receiver = new HttpReceiver();
  const tag = `event-api-test-cluster-${process.pid}`;
  const apiId = randomUUID();
  const auth = bearer(mintToken({ sub: `cluster-${apiId}` }));

  beforeAll(async () => {
    await receiver.start();
    cluster = await PrivateRedisCluster.start(3);
    env = pipelineEnv('cluster', { REDIS_URL: cluster.url, REDIS_CLUSTER: 'true', QUEUE_PREFIX: `{${tag}}` });
    pipeline = await createPipeline(env);
  }, 60_000);
  afterAll(async () => {
    await pipeline?.close();
    await cluster?.dispose();
    await receiver.stop();
  });

  it('publishes, fans out and delivers every event, with every queue key in one slot', async () => {
    const webhooks: Array<{ id: string }> = [];
    for (const path of ['/a', '/b']) {
      const response = await request(pipeline.api.http)
        .post('/webhooks')
        .set(auth)
        .send({ url: `${receiver.url}${path}`, events: [{ name: 'api.created' }], apiId })
        .expect(201);
      webhooks.push(response.body as { id: string });
    }
    const ids = await pipeline.publisher.publishBulk(
      Array.from({ length: 20 }, (_, n) => ({
        name: 'api.created',
        user: { id: 'cluster-user' },
        resourceType: 'Api',
        resource: { id: `api-${n}` },
        apiId,
      })),
    );
    await waitUntil(async () => {
      const [{ n }] = await pipeline.dataSource.query(
        `SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded' AND webhook_id = ANY($1)`,
        [webhooks.map((webhook) => webhook.id)],
      );
      return n === 40 || undefined;
    }, 20_000);
    const delivered = new Set(receiver.requests.map((r) => `${r.url} ${String(r.headers['webhook-id'])}`));
    expect(delivered.size).toBe(40);
    for (const id of ids) expect(delivered.has(`/a ${id}`) && delivered.has(`/b ${id}`)).toBe(true);

    const perNode = cluster.nodes.map((node) => cluster.keyCount(node, `{${tag}}*`));
    expect(perNode.filter((count) => count > 0)).toHaveLength(1);
  });

  it("the API's producer (ping), health on both processes, and the shared rate limit work on it", async () => {
    const [webhook] = (await request(pipeline.api.http).get('/webhooks').set(auth).expect(200))
      .body as Array<{
      id: string;
    }>;
    await request(pipeline.api.http).post(`/webhooks/${webhook.id}/ping`).set(auth).expect(202);
    await waitUntil(() =>
      Promise.resolve(
        receiver.requests.some((r) => r.headers['x-apitree-event'] === 'webhook.ping') || undefined,
      ),
    );

    const health = await request(pipeline.api.http).get('/health').expect(200);
    expect(health.body.checks.redis).toBe('up');
    const worker = await fetch(`http://127.0.0.1:${pipeline.worker.app.get(HealthServer).port}/health`);
    expect(worker.status).toBe(200);

    const limited = await createPipelineApi({ ...env, RATE_LIMIT: '2/60s' });
    try {
      const other = bearer(mintToken({ sub: `cluster-limit-${randomUUID()}` }));
      const statuses = [];
      for (let i = 0; i < 3; i += 1)
        statuses.push((await request(limited.http).get('/webhooks').set(other)).status);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
    }
  });

  it('the built worker checks every master at start-up', async () => {
    const worker = startProcess(builtEntry('worker'), {
      ...env,
      DATABASE_URL: pipeline.worker.config.databaseUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      WORKER_PORT: String(await freePort()),
      HOST: '127.0.0.1',
    });
    try {
      await waitForOutput(worker, /worker started/);
      const warnings = worker
        .output()
        .split('\n')
        .filter((line) => line.includes('appendonly is off on'));
      expect(warnings).toHaveLength(3);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });

  it("the launchers' probe reads every node, as the worker does: one without AOF is said every time", async () => {
    const appendonly = (ports: number[], value: 'yes' | 'no') => {
      for (const port of ports)
        execFileSync('redis-cli', ['-p', String(port), 'config', 'set', 'appendonly', value]);
    };
    const ports = cluster.nodes.map((node) => node.port);
    const config = loadConfig(env);
    try {
      appendonly(ports.slice(1), 'yes');
      // One node in three asked at random would say so a third of the time.
      for (let probe = 0; probe < 6; probe += 1) expect(await redisAppendonlyOff(config)).toBe(true);
      appendonly(ports, 'yes');
      expect(await redisAppendonlyOff(config)).toBe(false);
    } finally {
      appendonly(ports, 'no');
    }
  });

  it('a built worker facing a cluster that is down says so and exits, instead of hanging', async () => {
    // A cluster of its own, one master killed: cluster_state:fail.
    const failing = await PrivateRedisCluster.start(3);
    await failing.nodes[2].stop();
    await failing.waitForState('fail');
    const worker = startProcess(builtEntry('worker'), {
      ...env,
      REDIS_URL: failing.url,
      DATABASE_URL: pipeline.worker.config.databaseUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      WORKER_PORT: String(await freePort()),
      HOST: '127.0.0.1',
    });
    try {
      expect(await worker.exited).toBe(1);
      expect(worker.output()).toMatch(/failed to start: Redis Cluster not ready within 20000 ms/);
    } finally {
      await failing.dispose();
    }
  }, 45_000);
});
