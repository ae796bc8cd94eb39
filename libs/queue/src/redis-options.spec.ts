import { createServer, Server, Socket } from 'node:net';
import { Cluster } from 'ioredis';
import { connectWithin, createRedisClient } from './redis-options';

describe('connectWithin: a cluster that never becomes ready', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Takes the connection and never answers: CLUSTER SLOTS waits for ever.
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    sockets.forEach((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('rejects at the deadline and leaves no ready listener behind', async () => {
    const client = createRedisClient(
      { redisUrl: `redis://127.0.0.1:${port}`, cluster: true },
      { lazyConnect: true, connectTimeout: 50 },
    ) as Cluster;
    client.on('error', () => undefined);
    const before = client.listenerCount('ready');
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await expect(connectWithin(client, 100)).rejects.toThrow(/not ready within 100 ms/);
      }
      expect(client.listenerCount('ready')).toBe(before);
    } finally {
      client.disconnect();
    }
  });
});
