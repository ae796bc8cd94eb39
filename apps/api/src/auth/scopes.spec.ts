import { parseOrgs, parseScopes, Scope, SCOPE_DESCRIPTIONS } from './scopes';

describe('Scope', () => {
  it('has the two scope names of README → API → Authentication, each described', () => {
    expect(Object.values(Scope).sort()).toEqual(['webhook', 'webhook.readonly']);
    expect(Object.keys(SCOPE_DESCRIPTIONS).sort()).toEqual(['webhook', 'webhook.readonly']);
    for (const description of Object.values(SCOPE_DESCRIPTIONS)) expect(description).not.toBe('');
  });
});

describe('parseScopes', () => {
  it('splits the space-separated scope claim', () => {
    expect([...parseScopes({ scope: 'webhook webhook.readonly' })].sort()).toEqual([
      'webhook',
      'webhook.readonly',
    ]);
  });

  it('reads the scp array claim', () => {
    expect([...parseScopes({ scp: ['webhook.readonly'] })]).toEqual(['webhook.readonly']);
    expect(parseScopes({ scp: ['webhook', 'openid'] }).has(Scope.Webhook)).toBe(true);
  });

  it('reads an scp claim sent as a string', () => {
    expect(parseScopes({ scp: 'webhook openid' }).has(Scope.Webhook)).toBe(true);
  });

  it('unions scope and scp', () => {
    const scopes = parseScopes({ scope: 'openid', scp: ['webhook'] });
    expect([...scopes].sort()).toEqual(['openid', 'webhook']);
  });

  it('tolerates extra spaces', () => {
    const scopes = parseScopes({ scope: '  webhook   webhook.readonly   ' });
    expect([...scopes].sort()).toEqual(['webhook', 'webhook.readonly']);
    expect(scopes.has('')).toBe(false);
  });

  it.each(['webhook.readonly\twebhook', 'x\nwebhook', 'x\u00a0webhook', 'x\u2003webhook', 'x\u3000webhook'])(
    'splits on the plain space only (RFC 6749 §3.3): %j is one unknown scope',
    (scope) => {
      expect([...parseScopes({ scope })]).toEqual([scope]);
    },
  );

  it('deduplicates', () => {
    expect(parseScopes({ scope: 'webhook webhook', scp: ['webhook'] }).size).toBe(1);
  });

  it.each([
    ['webhooks'],
    ['WEBHOOK'],
    ['Webhook'],
    ['webhook.readonly'],
    ['webhook.readonlyX'],
    ['xwebhook'],
    ['webhook,webhook.readonly'],
    ['webhook:write'],
    ['api.webhook'],
  ])('matches whole words only: %j does not grant webhook', (scope) => {
    expect(parseScopes({ scope }).has(Scope.Webhook)).toBe(false);
    expect(parseScopes({ scp: [scope] }).has(Scope.Webhook)).toBe(false);
  });

  it('does not read webhook.readonlyX or WEBHOOK.READONLY as webhook.readonly', () => {
    expect(parseScopes({ scope: 'webhook.readonlyX WEBHOOK.READONLY' }).has(Scope.WebhookReadonly)).toBe(
      false,
    );
  });

  it.each([
    [{}],
    [{ scope: undefined, scp: undefined }],
    [{ scope: null }],
    [{ scope: 42 }],
    [{ scope: ['webhook'] }],
    [{ scope: { webhook: true } }],
    [{ scope: '' }],
    [{ scope: '   ' }],
    [{ scp: [1, null, {}, true, ''] }],
    [{ scp: { 0: 'webhook' } }],
  ])('yields nothing for %j', (claims) => {
    expect(parseScopes(claims).size).toBe(0);
  });

  it('keeps the string entries of a mixed scp array', () => {
    expect([...parseScopes({ scp: [1, 'webhook', null, 'webhook.readonly'] })].sort()).toEqual([
      'webhook',
      'webhook.readonly',
    ]);
  });
});

describe('parseOrgs', () => {
  it.each([[undefined], [null], ['org-1'], ['org-1,org-2'], [42], [{ 0: 'org-1', length: 1 }], [true]])(
    'ignores the non-array %j',
    (claim) => {
      expect(parseOrgs(claim)).toEqual([]);
    },
  );

  it('keeps string items in order', () => {
    expect(parseOrgs(['org-b', 'org-a'])).toEqual(['org-b', 'org-a']);
  });

  it('turns numbers into strings and drops other items', () => {
    expect(parseOrgs(['org-1', 7, null, undefined, { id: 'x' }, ['nested'], true, 'org-2'])).toEqual([
      'org-1',
      '7',
      'org-2',
    ]);
  });

  it('returns an empty list for an empty array', () => {
    expect(parseOrgs([])).toEqual([]);
  });
});
