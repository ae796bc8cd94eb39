import { createLogger, PinoNestLogger } from '@app/logging';

const TOKEN = 'aBcDeFgHiJkLmNoPqRsTuVwX';
const SLACK = `https://hooks.slack.com/services/T0123ABCD/B0123EFGH/${TOKEN}`;
const MASKED = 'https://hooks.slack.com/services/••••uVwX';

/** The lines a logger writes, parsed. */
function capture(): { lines: Array<Record<string, unknown>>; logger: ReturnType<typeof createLogger> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('trace', 'test', {
    write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { lines, logger };
}

describe('createLogger masks credential URLs in every line', () => {
  it('in messages, interpolated arguments and fields at any logged depth', () => {
    const { lines, logger } = capture();
    logger.info(
      { url: SLACK, nested: { urls: [SLACK] } },
      `posting to ${SLACK}: %s`,
      `no_service for ${SLACK}`,
    );
    expect(lines[0]).toMatchObject({
      url: MASKED,
      nested: { urls: [MASKED] },
      msg: `posting to ${MASKED}: no_service for ${MASKED}`,
    });
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  it('in errors, logged alone or as a field, keeping their other properties', () => {
    const { lines, logger } = capture();
    const error = Object.assign(new Error(`POST ${SLACK} failed`), { code: 'EFAIL' });
    logger.error(error);
    logger.warn({ err: error }, 'wrapped');
    expect(lines[0]).toMatchObject({ msg: `POST ${MASKED} failed`, err: { code: 'EFAIL', type: 'Error' } });
    expect(lines[1]).toMatchObject({ msg: 'wrapped', err: { message: `POST ${MASKED} failed` } });
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
    expect(error.message).toBe(`POST ${SLACK} failed`);
  });

  it('still redacts secrets and tokens', () => {
    const { lines, logger } = capture();
    logger.info({ secret: 'whsec_abc', token: 't', headers: { authorization: 'Bearer x' } }, 'request');
    expect(lines[0]).toMatchObject({
      secret: '[redacted]',
      token: '[redacted]',
      headers: { authorization: '[redacted]' },
    });
  });

  it("never logs a webhook's custom header values, at the top or one level down", () => {
    const { lines, logger } = capture();
    const headers = { 'X-Api-Key': 'k3y-value' };
    logger.info({ headers, webhook: { id: 'w', headers } }, 'webhook');
    expect(lines[0]).toMatchObject({
      headers: { 'X-Api-Key': '[redacted]' },
      webhook: { id: 'w', headers: { 'X-Api-Key': '[redacted]' } },
    });
    expect(JSON.stringify(lines)).not.toContain('k3y-value');
  });
});

describe('PinoNestLogger', () => {
  it("logs Nest's start-up narration at debug and everything else as Nest asked", () => {
    const { lines, logger } = capture();
    const nest = new PinoNestLogger(logger);
    nest.log('AppConfigModule dependencies initialized', 'InstanceLoader');
    nest.log('Mapped {/webhooks, GET} route', 'RouterExplorer');
    nest.log('Nest application successfully started', 'NestApplication');
    nest.log('apiId webhooks checked with the Core-API', 'Entitlements');
    nest.warn('Starting Nest application...', 'NestFactory');
    expect(lines.map((line) => [line.level, line.context])).toEqual([
      [20, 'InstanceLoader'],
      [20, 'RouterExplorer'],
      [20, 'NestApplication'],
      [30, 'Entitlements'],
      [40, 'NestFactory'],
    ]);
  });
});
