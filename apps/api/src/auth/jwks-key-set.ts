import { createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { request } from 'undici';
import { PeriodicTask } from '@app/batching';

/** How the key set is kept fresh. Fixed in production (README → Security); tests shorten them. */
export interface JwksTimings {
  /** The whole set is fetched again this often: new keys appear, removed keys stop verifying. */
  readonly refreshIntervalMs: number;
  /**
   * A token naming a kid the set does not hold may start a fetch at most this often. Anyone can
   * send such a token, so this budget is the only one they can spend, and never the timer's.
   */
  readonly unknownKidCooldownMs: number;
  /** Whole fetch, connect to last byte; on failure the last good set stays. */
  readonly fetchTimeoutMs: number;
}

export const DEFAULT_JWKS_TIMINGS: JwksTimings = {
  refreshIntervalMs: 5 * 60_000,
  unknownKidCooldownMs: 10_000,
  fetchTimeoutMs: 3_000,
};

/** DI token of the timings (AuthModule provides the defaults). */
export const JWKS_TIMINGS = Symbol('JWKS_TIMINGS');

/** A key set is a few KiB; this bounds what a broken endpoint can make us hold. */
const MAX_JWKS_BYTES = 256 * 1024;

export type JwksFetcher = (uri: string, signal: AbortSignal) => Promise<unknown>;

interface Keys {
  readonly byKid: ReadonlyMap<string, KeyObject>;
  readonly all: readonly KeyObject[];
}

/**
 * The signing keys of `JWT_JWKS_URI`, held in memory. Tokens never cause a fetch per kid: the set
 * is fetched whole on a timer, and at once for an unknown kid only within a small budget of its
 * own (concurrent requests share one fetch). A forged kid therefore costs at most one fetch per
 * cooldown, and that fetch also picks up a genuinely new key. Nothing about unknown kids is stored.
 */
export class JwksKeySet implements OnModuleInit, OnModuleDestroy {
  private keys: Keys = { byKid: new Map(), all: [] };
  private refreshing?: Promise<void>;
  private lastUnknownKidFetchAt = -Infinity;
  private readonly stopped = new AbortController();
  private readonly logger = new Logger('Auth');
  /** The timer's fetches; a tick while a fetch runs (the timer's or an unknown kid's) adds none. */
  private readonly timer: PeriodicTask;

  constructor(
    private readonly uri: string,
    private readonly timings: JwksTimings = DEFAULT_JWKS_TIMINGS,
    private readonly fetcher: JwksFetcher = fetchJwks,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.timer = new PeriodicTask(
      'JWKS refresh',
      timings.refreshIntervalMs,
      () => this.refresh(),
      this.logger,
    );
  }

  onModuleInit(): void {
    this.timer.start();
    this.timer.kick();
  }

  async onModuleDestroy(): Promise<void> {
    // The fetch in flight is cut short first, so stopping does not wait for its deadline.
    this.stopped.abort();
    await this.timer.stop();
  }

  /**
   * The key for a token's `kid` (absent: the only key of a one-key set), or undefined. A known kid
   * never waits; an unknown one waits for a fetch already running or starts one if the budget
   * allows, and is otherwise refused at once.
   */
  async keyFor(kid: string | undefined): Promise<KeyObject | undefined> {
    const known = this.lookup(kid);
    if (known) return known;
    if (!this.refreshing) {
      if (this.now() - this.lastUnknownKidFetchAt < this.timings.unknownKidCooldownMs) return undefined;
      this.lastUnknownKidFetchAt = this.now();
    }
    await this.refresh();
    return this.lookup(kid);
  }

  /** Fetches the set again (joining a fetch in flight); never rejects. */
  refresh(): Promise<void> {
    this.refreshing ??= this.replaceKeys().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private lookup(kid: string | undefined): KeyObject | undefined {
    if (kid !== undefined) return this.keys.byKid.get(kid);
    return this.keys.all.length === 1 ? this.keys.all[0] : undefined;
  }

  private async replaceKeys(): Promise<void> {
    try {
      const signal = AbortSignal.any([AbortSignal.timeout(this.timings.fetchTimeoutMs), this.stopped.signal]);
      const keys = signingKeys(await this.fetcher(this.uri, signal));
      const before = [...this.keys.byKid.keys()].join(' ');
      this.keys = keys;
      const after = [...keys.byKid.keys()].join(' ');
      if (after !== before) this.logger.log(`JWKS key set: ${keys.all.length} key(s), kids [${after}]`);
    } catch (error) {
      if (this.stopped.signal.aborted) return;
      this.logger.warn(`JWKS fetch failed, keeping the last good key set: ${(error as Error).message}`);
    }
  }
}

/**
 * The keys this API can verify with: RSA of 2048 bits or more (RS256) and EC P-256 (ES256), meant
 * for signatures. Anything else (`oct`, other curves, `use: enc`, another `alg`) is skipped; a set
 * with no usable key is an error, so the last good set stays.
 */
export function signingKeys(document: unknown): Keys {
  const list = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error('the document has no "keys" array');
  const byKid = new Map<string, KeyObject>();
  const all: KeyObject[] = [];
  for (const jwk of list as unknown[]) {
    const key = verificationKey(jwk);
    if (!key) continue;
    const kid = (jwk as { kid?: unknown }).kid;
    if (typeof kid === 'string' && kid !== '') {
      if (byKid.has(kid)) continue;
      byKid.set(kid, key);
    }
    all.push(key);
  }
  if (all.length === 0) throw new Error('the key set holds no RS256 or ES256 signing key');
  return { byKid, all };
}

function verificationKey(value: unknown): KeyObject | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const jwk = value as JsonWebKey & { use?: unknown; key_ops?: unknown; alg?: unknown };
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    return undefined;
  }
  const rsa = jwk.kty === 'RSA' && (jwk.alg === undefined || jwk.alg === 'RS256');
  const ec = jwk.kty === 'EC' && jwk.crv === 'P-256' && (jwk.alg === undefined || jwk.alg === 'ES256');
  if (!rsa && !ec) return undefined;
  try {
    // Only the public members: a set that leaks `d` must not make us hold a private key.
    const { kty, n, e, crv, x, y } = jwk;
    const members = rsa ? { kty, n, e } : { kty, crv, x, y };
    const key = createPublicKey({ key: members, format: 'jwk' });
    if (rsa && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return undefined;
    return key;
  } catch {
    return undefined;
  }
}

/** GET the key set: no redirects, a deadline from `signal`, at most MAX_JWKS_BYTES. */
async function fetchJwks(uri: string, signal: AbortSignal): Promise<unknown> {
  const response = await request(uri, { method: 'GET', headers: { accept: 'application/json' }, signal });
  if (response.statusCode < 200 || response.statusCode >= 300) {
    await response.body.dump();
    throw new Error(`HTTP ${response.statusCode}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JWKS_BYTES) {
      response.body.destroy();
      throw new Error(`the key set is larger than ${MAX_JWKS_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}
