import { checkWebhookUrlSyntax, MAX_WEBHOOK_URL_LENGTH } from '@app/netguard';

const INVALID = 'must be an absolute http or https URL';

describe('checkWebhookUrlSyntax', () => {
  it.each([
    'http://example.com',
    'https://example.com/',
    'https://example.com:8443/hooks/event-api',
    'http://example.com:80/a/b/c?x=1&y=two#frag',
    'https://hooks.slack.com/services/T000/B000/XXXX',
    'https://sub.domain.example.co.uk/path;param?q=%20encoded',
    'HTTPS://EXAMPLE.COM/Upper',
    'http://93.184.216.34:3000/hook',
    'https://[2606:4700::1111]:8443/hook',
    'http://localhost:3000/hook',
    'https://bücher.example/hook',
  ])('accepts %s', (url) => {
    expect(checkWebhookUrlSyntax(url)).toBeNull();
  });

  describe('length', () => {
    const prefix = 'https://example.com/';
    it('accepts exactly 1000 characters', () => {
      const url = prefix + 'a'.repeat(1000 - prefix.length);
      expect(url).toHaveLength(1000);
      expect(MAX_WEBHOOK_URL_LENGTH).toBe(1000);
      expect(checkWebhookUrlSyntax(url)).toBeNull();
    });

    it('rejects 1001 characters', () => {
      const url = prefix + 'a'.repeat(1001 - prefix.length);
      expect(checkWebhookUrlSyntax(url)).toBe('must be at most 1000 characters');
    });
  });

  describe('scheme and form', () => {
    it.each([
      'ftp://example.com/hook',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'data:text/plain,hello',
      'mailto:ops@example.com',
      'ws://example.com/socket',
      'wss://example.com/socket',
      'gopher://example.com/',
      'httpx://example.com/',
    ])('rejects non-http(s) scheme %s', (url) => {
      expect(checkWebhookUrlSyntax(url)).toBe(INVALID);
    });

    it.each([
      '/hook',
      'hook',
      'example.com/hook',
      '//example.com/hook',
      'https:example.com/hook',
      'https:/example.com/hook',
      'http:\\\\example.com\\hook',
      '',
    ])('rejects relative or scheme-less %j', (url) => {
      expect(checkWebhookUrlSyntax(url)).toBe(INVALID);
    });

    it.each(['http://', 'https://', 'https://:8080/', 'http://[::1/', 'https://example.com:99999/'])(
      'rejects %j (no host or unparsable)',
      (url) => {
        expect(checkWebhookUrlSyntax(url)).not.toBeNull();
      },
    );
  });

  describe('userinfo', () => {
    it.each([
      'https://user:pw@example.com',
      'https://user@example.com/hook',
      'https://:pw@example.com/',
      'http://admin:admin@10.0.0.1/',
    ])('rejects credentials in %s', (url) => {
      expect(checkWebhookUrlSyntax(url)).toMatch(/credentials/);
    });
  });

  describe('whitespace and control characters', () => {
    it.each([
      ['space in path', 'https://example.com/a b'],
      ['leading space', ' https://example.com/'],
      ['trailing space', 'https://example.com/ '],
      ['tab', 'https://example.com/\thook'],
      ['newline', 'https://example.com/\nhook'],
      ['CRLF (header injection)', 'https://example.com/\r\nX-Evil: 1'],
      ['NUL', 'https://example.com/\u0000'],
      ['DEL', 'https://example.com/\u007f'],
      ['unit separator', 'https://example.com/\u001f'],
      ['no-break space', 'https://example.com/\u00a0'],
    ])('rejects %s', (_label, url) => {
      expect(checkWebhookUrlSyntax(url)).toBe('must not contain whitespace or control characters');
    });
  });
});

describe('checkWebhookUrlSyntax: what the URL parser hides', () => {
  it.each(['https://@example.com/', 'https://:@example.com/', 'http://@example.com:8080/x'])(
    'refuses an empty userinfo the parser drops: %s',
    (url) => {
      expect(new URL(url).username).toBe('');
      expect(checkWebhookUrlSyntax(url)).toBe('must not contain credentials (user:password@)');
    },
  );

  it.each(['https://example.com:0/', 'https://example.com:00/', 'http://example.com:0000'])(
    'refuses port 0: %s',
    (url) => {
      expect(checkWebhookUrlSyntax(url)).toBe('must have a port from 1 to 65535');
    },
  );

  it('accepts an @ after the authority', () => {
    expect(checkWebhookUrlSyntax('https://example.com/users/@me?by=a@b')).toBeNull();
  });

  it.each([
    'http://hooks.example\\@127.0.0.1/',
    'http://hooks.example\\.127.0.0.1/',
    'https://hooks.example/a\\b',
  ])('refuses a backslash, which WHATWG reads as "/" and RFC 3986 parsers do not: %s', (url) => {
    expect(new URL(url).hostname).toBe('hooks.example');
    expect(checkWebhookUrlSyntax(url)).toBe('must not contain backslashes');
  });

  it('refuses an unpaired surrogate', () => {
    expect(checkWebhookUrlSyntax('https://example.com/\ud800')).toBe('must not contain unpaired surrogates');
  });
});

describe('checkWebhookUrlSyntax: masked URLs', () => {
  it.each([
    'https://hooks.slack.com/services/••••uVwX',
    'https://hooks.slack.com/services/%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2',
  ])('refuses %s (a masked view sent back)', (url) => {
    expect(checkWebhookUrlSyntax(url)).toBe(
      'must be the full URL, not a masked one (•••• hides a credential)',
    );
  });
});
