/**
 * npm run token -- --sub ID [--scope "webhook"] [--orgs a,b] [--nickname N] [--ttl 1h]
 * Prints a development JWT signed with JWT_SECRET (or the development fallback).
 */
import jwt from 'jsonwebtoken';
import { loadConfigOrExit, parseDuration } from '@app/config';
import { fail, parseArgs } from './args';

const USAGE = 'usage: npm run token -- --sub ID [--scope "webhook"] [--orgs a,b] [--nickname N] [--ttl 1h]';

function main(): void {
  const { flags } = parseArgs(process.argv.slice(2));
  if (flags.has('help')) fail(USAGE);
  const sub = flags.get('sub');
  if (!sub || sub === 'true') fail(`--sub is required\n${USAGE}`);
  const ttlMs = parseDuration(flags.get('ttl') ?? '1h');
  if (ttlMs === undefined || ttlMs < 1000) fail(`--ttl must be a duration like 15m or 1h\n${USAGE}`);

  const config = loadConfigOrExit();
  if (config.jwt.secret === undefined) {
    fail(
      'npm run token signs with JWT_SECRET (HS256); with JWT_PUBLIC_KEY or JWT_JWKS_URI mint tokens with the Auth-API',
    );
  }
  if (config.jwt.usingDevelopmentSecret) {
    process.stderr.write('warning: no JWT_SECRET set, signing with the fixed development secret\n');
  }
  const orgs = flags.get('orgs');
  const payload: Record<string, unknown> = {
    sub,
    scope: flags.get('scope') ?? 'webhook',
    ...(flags.get('nickname') ? { nickname: flags.get('nickname') } : {}),
    ...(orgs
      ? {
          orgs: orgs
            .split(',')
            .map((org) => org.trim())
            .filter(Boolean),
        }
      : {}),
  };
  const token = jwt.sign(payload, config.jwt.secret, {
    algorithm: 'HS256',
    expiresIn: Math.floor(ttlMs / 1000),
    ...(config.jwt.issuer ? { issuer: config.jwt.issuer } : {}),
    ...(config.jwt.audience ? { audience: config.jwt.audience } : {}),
  });
  process.stdout.write(`${token}\n`);
}

main();
