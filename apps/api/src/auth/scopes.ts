/** OAuth scopes of the Event-API (README → API). */
export enum Scope {
  /** View and manage webhooks. */
  Webhook = 'webhook',
  /** View webhooks (GET only; secrets omitted). */
  WebhookReadonly = 'webhook.readonly',
}

export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  [Scope.Webhook]: 'View and manage webhooks',
  [Scope.WebhookReadonly]: 'View webhooks (GET only; secrets are omitted from responses)',
};

/**
 * Scopes from the `scope` claim (space-separated string) or the `scp` claim (array), as whole
 * words: `webhook.readonly` never counts as `webhook`, nor `webhooks` or `WEBHOOK`. Split on the
 * plain space only (RFC 6749 §3.3): `webhook\u00a0x` or `webhook\tx` is one unknown scope.
 */
export function parseScopes(claims: { scope?: unknown; scp?: unknown }): Set<string> {
  const scopes = new Set<string>();
  if (typeof claims.scope === 'string') {
    for (const word of claims.scope.split(' ')) if (word) scopes.add(word);
  }
  if (Array.isArray(claims.scp)) {
    for (const word of claims.scp) if (typeof word === 'string' && word) scopes.add(word);
  } else if (typeof claims.scp === 'string') {
    for (const word of claims.scp.split(' ')) if (word) scopes.add(word);
  }
  return scopes;
}

export function parseOrgs(claim: unknown): string[] {
  if (!Array.isArray(claim)) return [];
  return claim
    .filter((org): org is string | number => typeof org === 'string' || typeof org === 'number')
    .map(String);
}
