import type { Cluster, Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import { AppConfig, DevelopmentNotice, queueTarget } from '@app/config';
import { createLogger } from '@app/logging';
import { connectWithin, createRedisClient, FAIL_FAST } from '@app/queue';

/** How long a launcher asks Redis before it starts the processes (the worker explains a Redis it cannot use). */
const PROBE_TIMEOUT_MS = 2_000;

/** Levels at which the launcher's line is an info line; above them it is printed at warn (README → Quick start). */
const INFO_LEVELS = new Set(['info', 'debug', 'trace']);

/** The servers the worker checks: the one server, or every node of a cluster (redis-checks.ts keyHolders). */
function nodesOf(client: Redis | Cluster): Redis[] {
  return 'nodes' in client ? client.nodes('all') : [client];
}

/**
 * Whether the Redis the processes are about to use runs without AOF (`appendonly no`) on any of its
 * servers (on a cluster: every node, as the worker checks them); undefined when one of them does not
 * answer in time, since then the launcher cannot say so for the worker (which then keeps its own
 * warning, or stops with the reason).
 */
export async function redisAppendonlyOff(config: AppConfig): Promise<boolean | undefined> {
  const client = createRedisClient(queueTarget(config), {
    ...FAIL_FAST,
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    commandTimeout: PROBE_TIMEOUT_MS,
    retryStrategy: () => null,
    connectionName: 'event-api-launcher',
  });
  client.on('error', () => undefined);
  try {
    await connectWithin(client, PROBE_TIMEOUT_MS);
    const infos = await Promise.all(nodesOf(client).map((node) => node.info('persistence')));
    if (infos.length === 0) return undefined;
    return infos.some((info) => /^aof_enabled:0\s*$/m.test(info));
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/** What a launcher states, and the notices it thereby takes over from its processes. */
export interface DevelopmentLaunch {
  /** The one line about the development defaults (README → Quick start), or null when there are none. */
  line: string | null;
  /** What the launcher adds to its processes' environment: DEVELOPMENT_LAUNCH, naming what `line` states. */
  env: Record<string, string>;
}

/**
 * The one line `npm start` and `npm run demo` print about the development defaults their processes
 * run with, and DEVELOPMENT_LAUNCH listing exactly the notices that line states: each process logs
 * those at debug and keeps every other (`appendonlyOff` undefined: not checked, not stated, so the
 * worker still warns). Under NODE_ENV=production nothing: no line, and the processes keep every
 * warning (and refuse the variable).
 */
export function developmentLaunch(config: AppConfig, appendonlyOff: boolean | undefined): DevelopmentLaunch {
  if (config.production) return { line: null, env: {} };
  const stated: Array<{ text: string; notice?: DevelopmentNotice }> = [];
  if (config.jwt.usingDevelopmentSecret) {
    stated.push({ text: 'fixed JWT secret (npm run token signs with it)', notice: 'jwt' });
  }
  if (appendonlyOff === true) stated.push({ text: 'Redis without appendonly', notice: 'appendonly' });
  if (config.apiIdCheck === 'unchecked') {
    stated.push({ text: 'apiId not checked against a Core-API', notice: 'apiId' });
  }
  if (config.delivery.allowPrivateNetworks) {
    stated.push({ text: 'receiver URLs on private networks allowed' });
  }
  const notices = stated.flatMap(({ notice }) => (notice === undefined ? [] : [notice]));
  return {
    line: stated.length === 0 ? null : `development defaults: ${stated.map(({ text }) => text).join(', ')}`,
    // Set even when empty: a DEVELOPMENT_LAUNCH inherited from the shell must not speak for this launcher.
    env: { DEVELOPMENT_LAUNCH: notices.join(',') },
  };
}

/**
 * Prints the launcher's line whatever LOG_LEVEL is, since it is the one place the developer is told
 * (the processes log those notices at debug): at info when LOG_LEVEL lets info through, otherwise at
 * warn, the level of the warnings it stands for (a `LOG_LEVEL=warn npm start` still shows it).
 */
export function printDevelopmentDefaults(
  logLevel: string,
  line: string,
  destination?: DestinationStream,
): void {
  if (INFO_LEVELS.has(logLevel)) createLogger(logLevel, 'event-api-start', destination).info(line);
  else createLogger('warn', 'event-api-start', destination).warn(line);
}
