import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { buildDataSourceOptions, prepareDatabase } from '@app/database';
import { builtEntry, freePort, PgTlsProxy, startProcess, TEST_JWT_SECRET, waitForOutput } from '@app/testing';

/**
 * DATABASE_URL with `sslmode` against a PostgreSQL that only speaks TLS (Operations → Managed PostgreSQL, a managed
 * database): a TLS-terminating stand-in with a self-signed certificate in front of the test server.
 */
describe('DATABASE_URL with sslmode (e2e, a TLS-only PostgreSQL)', () => {
  let proxy: PgTlsProxy;
  let database: string;

  beforeAll(async () => {
    proxy = await PgTlsProxy.start({ host: '127.0.0.1', port: 5432 });
    database = new URL(process.env.EVENT_API_TEST_DATABASE_URL as string).pathname;
  });
  afterAll(() => proxy.close());

  const urlWith = (query: string): string =>
    `postgresql://postgres@localhost:${proxy.port}${database}${query ? `?${query}` : ''}`;

  async function query(url: string): Promise<number> {
    const dataSource = new DataSource(
      buildDataSourceOptions({ databaseUrl: loadConfig({ DATABASE_URL: url }).databaseUrl }),
    );
    await dataSource.initialize();
    try {
      const [{ one }] = await dataSource.query<Array<{ one: number }>>('SELECT 1 AS one');
      return one;
    } finally {
      await dataSource.destroy();
    }
  }

  it('sslmode=require encrypts without checking the certificate, as libpq does', async () => {
    const before = proxy.tlsSessions;
    expect(await query(urlWith('sslmode=require'))).toBe(1);
    expect(proxy.tlsSessions).toBeGreaterThan(before);
  });

  it('migrations run over it too', async () => {
    const url = loadConfig({ DATABASE_URL: urlWith('sslmode=require') }).databaseUrl;
    await expect(prepareDatabase(url)).resolves.toEqual([]);
  });

  it('sslmode=verify-full refuses the self-signed certificate, and accepts it as sslrootcert', async () => {
    await expect(query(urlWith('sslmode=verify-full'))).rejects.toThrow(/self-signed|certificate/i);
    expect(await query(urlWith(`sslmode=verify-full&sslrootcert=${proxy.certificateFile}`))).toBe(1);
  });

  it('without sslmode the TLS-only server is not reached', async () => {
    await expect(query(urlWith(''))).rejects.toThrow();
  });

  it('the built API starts on it and reports PostgreSQL healthy', async () => {
    const port = String(await freePort());
    const api = startProcess(builtEntry('api'), {
      DATABASE_URL: urlWith('sslmode=require'),
      JWT_SECRET: TEST_JWT_SECRET,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: process.env.EVENT_API_TEST_QUEUE_PREFIX as string,
      PORT: port,
      HOST: '127.0.0.1',
    });
    try {
      await waitForOutput(api, /Event-API listening/);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(api.output()).not.toMatch(/SECURITY WARNING/);
    } finally {
      api.child.kill('SIGTERM');
      await api.exited;
    }
  });
});
