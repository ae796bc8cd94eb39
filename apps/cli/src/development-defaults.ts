import { AppConfig, queueTarget } from '@app/config';
import { connectWithin, createRedisClient, FAIL_FAST } from '@app/queue';

/** How long a launcher asks Redis before it starts the processes (the worker explains a Redis it cannot use). */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * Whether the Redis the processes are about to use runs without AOF (`appendonly no`); undefined
 * when it does not answer in time, since the worker then stops with the reason.
 */
export async function redisAppendonlyOff(config: AppConfig): Promise<boolean | undefined> {
  const client = createRedisClient(queueTarget(config), {
    ...FAIL_FAST,
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    retryStrategy: () => null,
    connectionName: 'event-api-launcher',
  });
  client.on('error', () => undefined);
  try {
    await connectWithin(client, PROBE_TIMEOUT_MS);
    return /^aof_enabled:0\s*$/m.test(await client.info('persistence'));
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/**
 * The one line `npm start` and `npm run demo` print about the development defaults their processes
 * run with (README → Quick start), or null when there are none. The processes, started with
 * DEVELOPMENT_LAUNCH=true, then log their own notices of these at debug instead of warn.
 */
export function developmentDefaultsLine(
  config: AppConfig,
  appendonlyOff: boolean | undefined,
): string | null {
  const defaults = [
    ...(config.jwt.usingDevelopmentSecret ? ['fixed JWT secret (npm run token signs with it)'] : []),
    ...(appendonlyOff === true ? ['Redis without appendonly'] : []),
    ...(config.apiIdCheck === 'unchecked' ? ['apiId not checked against a Core-API'] : []),
    ...(config.delivery.allowPrivateNetworks ? ['receiver URLs on private networks allowed'] : []),
  ];
  return defaults.length === 0 ? null : `development defaults: ${defaults.join(', ')}`;
}

/**
 * What a launcher adds to its processes' environment: DEVELOPMENT_LAUNCH=true, except under
 * NODE_ENV=production, where the processes keep every warning (and refuse the variable).
 */
export function developmentLaunchEnv(config: AppConfig): Record<string, string> {
  return config.production ? {} : { DEVELOPMENT_LAUNCH: 'true' };
}
