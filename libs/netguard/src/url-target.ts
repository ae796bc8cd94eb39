import { lookup } from 'node:dns/promises';
import { blockedRange, parseAddress, ParsedAddress } from './address-policy';

export const BLOCKED_PRIVATE_ADDRESS = 'blocked: private address';
/** A plain-http URL while DELIVERY_REQUIRE_HTTPS is on (a row written before it was set). */
export const BLOCKED_INSECURE_URL = 'blocked: http not allowed (DELIVERY_REQUIRE_HTTPS)';

/** The attempt was refused by our own rules before any connection: the endpoint is not down. */
export function isBlockedByPolicy(error: string | null): boolean {
  return error === BLOCKED_PRIVATE_ADDRESS || error === BLOCKED_INSECURE_URL;
}

export type TargetCheck =
  | { ok: true; addresses: ParsedAddress[] }
  | { ok: false; reason: 'private' | 'unresolvable'; detail: string };

export type Resolver = (hostname: string) => Promise<string[]>;

const LOOKUP_TIMEOUT_MS = 3_000;

const defaultResolver: Resolver = async (hostname) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('lookup timed out'), { code: 'ETIMEOUT' })),
      LOOKUP_TIMEOUT_MS,
    );
  });
  try {
    const answers = await Promise.race([lookup(hostname, { all: true, verbatim: true }), timeout]);
    return answers.map((entry) => entry.address);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Where a URL points: literal IPs are classified directly (a DNS hook alone would miss them),
 * names are resolved and refused whole if any answer is not public.
 */
export async function checkUrlTarget(url: string, resolve: Resolver = defaultResolver): Promise<TargetCheck> {
  const hostname = new URL(url).hostname;
  const literal = parseAddress(hostname);
  const candidates: ParsedAddress[] = [];
  if (literal) {
    candidates.push(literal);
  } else {
    let answers: string[];
    try {
      answers = await resolve(hostname.replace(/\.$/, ''));
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'lookup failed';
      return { ok: false, reason: 'unresolvable', detail: `${code} ${hostname}` };
    }
    for (const answer of answers) {
      const parsed = parseAddress(answer);
      if (parsed) candidates.push(parsed);
    }
    if (candidates.length === 0) {
      return { ok: false, reason: 'unresolvable', detail: `no address for ${hostname}` };
    }
  }
  for (const address of candidates) {
    const range = blockedRange(address);
    if (range !== null) {
      return { ok: false, reason: 'private', detail: `${address.toString()} is ${range}` };
    }
  }
  return { ok: true, addresses: candidates };
}
