/**
 * npm run token -- --sub ID [--scope "webhook"] [--orgs a,b] [--nickname N] [--ttl 1h]
 * Prints a development JWT signed with JWT_SECRET (or the development fallback).
 */
import { loadConfigOrExit, parseDuration } from '@app/config';
import { fail, parseArgs } from './args';
import { signDevToken } from './dev-token';

const USAGE = 'usage: npm run token -- --sub ID [--scope "webhook"] [--orgs a,b] [--nickname N] [--ttl 1h]';

function main(): void {
  const { flags } = parseArgs(process.argv.slice(2));
  if (flags.has('help')) fail(USAGE);
  const sub = flags.get('sub');
  if (!sub || sub === 'true') fail(`--sub is required\n${USAGE}`);
  const ttlMs = parseDuration(flags.get('ttl') ?? '1h');
  if (ttlMs === undefined || ttlMs < 1000) fail(`--ttl must be a duration like 15m or 1h\n${USAGE}`);

  const config = loadConfigOrExit();
  const token = signDevToken(
    config,
    { sub, scope: flags.get('scope') ?? 'webhook', orgs: flags.get('orgs'), nickname: flags.get('nickname') },
    ttlMs,
  );
  process.stdout.write(`${token}\n`);
}

main();
