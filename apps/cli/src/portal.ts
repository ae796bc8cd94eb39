/**
 * npm run portal -- --sub ID [--scope webhook|webhook.readonly] [--orgs a,b] [--nickname N]
 * Development: mints a token as `npm run token` does and asks the running API for a one-time portal link
 * (POST /portal/sessions), as ApiTree's dashboard would; prints the link (README → Portal).
 */
import { listenUrl, loadConfigOrExit } from '@app/config';
import { fail, parseArgs } from './args';
import { signDevToken } from './dev-token';

const USAGE =
  'usage: npm run portal -- --sub ID [--scope webhook|webhook.readonly] [--orgs a,b] [--nickname N]';
const SCOPES = ['webhook', 'webhook.readonly'];

async function main(): Promise<void> {
  const { flags } = parseArgs(process.argv.slice(2));
  if (flags.has('help')) fail(USAGE);
  const sub = flags.get('sub');
  if (!sub || sub === 'true') fail(`--sub is required\n${USAGE}`);
  const scope = flags.get('scope') ?? 'webhook';
  if (!SCOPES.includes(scope)) fail(`--scope must be webhook or webhook.readonly\n${USAGE}`);

  const config = loadConfigOrExit();
  // The session never outlives the token it was minted with: give the token the session's lifetime.
  const token = signDevToken(
    config,
    { sub, scope, orgs: flags.get('orgs'), nickname: flags.get('nickname') },
    config.portal.sessionTtlMs,
  );
  const api = listenUrl(config.host, config.port);
  let response: Response;
  try {
    response = await fetch(`${api}/portal/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    fail(
      `The API does not answer at ${api}: start it first (npm start), or set PORT/HOST to where it listens`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as {
    url?: string;
    expiresAt?: string;
    message?: string;
  };
  if (response.status !== 201 || !body.url) {
    fail(`POST ${api}/portal/sessions answered ${response.status}: ${body.message ?? 'no link'}`);
  }
  process.stderr.write(`Portal link for ${sub} (${scope}), valid once until ${body.expiresAt}:\n`);
  process.stdout.write(`${body.url}\n`);
}

void main();
