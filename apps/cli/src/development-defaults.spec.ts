import { createServer, Server, Socket } from 'node:net';
import { Writable } from 'node:stream';
import { loadConfig, LOG_LEVELS } from '@app/config';
import { developmentLaunch, printDevelopmentDefaults, redisAppendonlyOff } from './development-defaults';

const JWT = 'fixed JWT secret (npm run token signs with it)';
const APPENDONLY = 'Redis without appendonly';
const API_ID = 'apiId not checked against a Core-API';

describe('developmentLaunch: the launcher passes exactly what it stated (README → Quick start)', () => {
  it('names in DEVELOPMENT_LAUNCH each notice its line states, and the processes read them back', () => {
    const launch = developmentLaunch(loadConfig({}), true);
    expect(launch.line).toBe(`development defaults: ${JWT}, ${APPENDONLY}, ${API_ID}`);
    expect(launch.env).toEqual({ DEVELOPMENT_LAUNCH: 'jwt,appendonly,apiId' });
    expect(loadConfig(launch.env).developmentLaunch).toEqual(['jwt', 'appendonly', 'apiId']);
  });

  it('Redis not checked (no answer in time): appendonly neither stated nor passed, so the worker keeps its warning', () => {
    const launch = developmentLaunch(loadConfig({}), undefined);
    expect(launch.line).toBe(`development defaults: ${JWT}, ${API_ID}`);
    expect(launch.env).toEqual({ DEVELOPMENT_LAUNCH: 'jwt,apiId' });
    expect(loadConfig(launch.env).developmentLaunch).not.toContain('appendonly');
  });

  it('only what applies: a JWT key and a Core-API configured, Redis with AOF', () => {
    const config = loadConfig({ JWT_SECRET: 'x'.repeat(32), CORE_API_URL: 'http://core.example' });
    // Set, and empty: a DEVELOPMENT_LAUNCH inherited from the shell does not speak for the launcher.
    expect(developmentLaunch(config, false)).toEqual({ line: null, env: { DEVELOPMENT_LAUNCH: '' } });
    expect(loadConfig({ DEVELOPMENT_LAUNCH: '' }).developmentLaunch).toEqual([]);
  });

  it('a default with no process notice (private networks) is stated and passes nothing', () => {
    const config = loadConfig({ JWT_SECRET: 'x'.repeat(32), DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true' });
    expect(developmentLaunch(config, false)).toEqual({
      line: `development defaults: ${API_ID}, receiver URLs on private networks allowed`,
      env: { DEVELOPMENT_LAUNCH: 'apiId' },
    });
  });

  it('under NODE_ENV=production: no line, no variable (the processes keep every warning)', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) });
    expect(developmentLaunch(config, true)).toEqual({ line: null, env: {} });
  });
});

describe("printDevelopmentDefaults: the launcher's line is never filtered away", () => {
  it.each(LOG_LEVELS)('LOG_LEVEL=%s: printed once, at info where info shows, at warn otherwise', (level) => {
    let output = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    printDevelopmentDefaults(level, 'development defaults: x', destination);
    const lines = output
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: number; msg: string; name: string });
    expect(lines).toEqual([
      expect.objectContaining({
        level: ['info', 'debug', 'trace'].includes(level) ? 30 : 40,
        msg: 'development defaults: x',
        name: 'event-api-start',
      }),
    ]);
  });
});

describe('redisAppendonlyOff: what the launcher cannot check, it does not claim', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Takes the connection and never answers.
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

  it('a Redis that does not answer: undefined within the probe time', async () => {
    const started = Date.now();
    expect(await redisAppendonlyOff(loadConfig({ REDIS_URL: `redis://127.0.0.1:${port}` }))).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
