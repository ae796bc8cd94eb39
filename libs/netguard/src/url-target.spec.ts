import { BLOCKED_PRIVATE_ADDRESS, checkUrlTarget, Resolver, TargetCheck } from '@app/netguard';

function resolverReturning(answers: string[]) {
  return jest.fn<ReturnType<Resolver>, Parameters<Resolver>>().mockResolvedValue(answers);
}

function resolverFailing(error: unknown) {
  return jest.fn<ReturnType<Resolver>, Parameters<Resolver>>().mockRejectedValue(error);
}

function addressesOf(check: TargetCheck): string[] {
  if (!check.ok) throw new Error(`expected ok, got ${check.reason}: ${check.detail}`);
  return check.addresses.map((address) => address.toString());
}

describe('checkUrlTarget', () => {
  it('uses the documented wording for the delivery error', () => {
    expect(BLOCKED_PRIVATE_ADDRESS).toBe('blocked: private address');
  });

  describe('literal IP hosts are classified without DNS', () => {
    it.each([
      ['http://127.0.0.1/', '127.0.0.1'],
      ['http://0177.0.0.1/', '127.0.0.1'],
      ['http://2130706433/', '127.0.0.1'],
      ['http://127.1/', '127.0.0.1'],
      ['http://0x7f.0.0.1/', '127.0.0.1'],
      ['http://127.0.0.1./', '127.0.0.1'],
      ['http://[::ffff:7f00:1]/', '127.0.0.1'],
      ['http://[::ffff:127.0.0.1]:80/', '127.0.0.1'],
      ['http://[::1]:8080/', '::1'],
      ['http://[::]/', '::'],
      ['http://[::127.0.0.1]/', '::7f00:1'],
      ['http://[::8.8.8.8]/', '::808:808'],
      ['http://0/', '0.0.0.0'],
      ['http://10.0.0.1/', '10.0.0.1'],
      ['http://0xa000001/', '10.0.0.1'],
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
      ['http://[fe80::1]/', 'fe80::1'],
      ['http://[fd00::1]/', 'fd00::1'],
      ['https://100.64.0.1/', '100.64.0.1'],
      ['https://224.0.0.1/', '224.0.0.1'],
      ['https://255.255.255.255/', '255.255.255.255'],
    ])('blocks %s (%s)', async (url, address) => {
      const resolve = resolverReturning(['93.184.216.34']);
      const check = await checkUrlTarget(url, resolve);
      expect(check).toMatchObject({ ok: false, reason: 'private' });
      expect(!check.ok && check.detail).toMatch(new RegExp(`^${address.replace(/\./g, '\\.')} is \\w+$`));
      expect(resolve).not.toHaveBeenCalled();
    });

    it.each([
      ['http://93.184.216.34/', '93.184.216.34'],
      ['https://8.8.8.8:8443/hook', '8.8.8.8'],
      ['https://[2606:4700::1111]/', '2606:4700::1111'],
      ['http://[::ffff:8.8.8.8]/', '8.8.8.8'],
    ])('allows public %s', async (url, address) => {
      const resolve = resolverReturning(['127.0.0.1']);
      const check = await checkUrlTarget(url, resolve);
      expect(addressesOf(check)).toEqual([address]);
      expect(resolve).not.toHaveBeenCalled();
    });
  });

  describe('hostnames are resolved and every answer is checked', () => {
    it('allows a name whose answers are all public, returning them all', async () => {
      const resolve = resolverReturning(['93.184.216.34', '2606:4700::1111']);
      const check = await checkUrlTarget('https://example.com/hook?x=1', resolve);
      expect(addressesOf(check)).toEqual(['93.184.216.34', '2606:4700::1111']);
      expect(resolve).toHaveBeenCalledTimes(1);
      expect(resolve).toHaveBeenCalledWith('example.com');
    });

    it.each([
      [['93.184.216.34', '10.0.0.5'], '10.0.0.5'],
      [['10.0.0.5', '93.184.216.34'], '10.0.0.5'],
      [['2606:4700::1111', 'fd00::1'], 'fd00::1'],
      [['8.8.8.8', '::ffff:169.254.169.254'], '169.254.169.254'],
      [['8.8.8.8', '::8.8.8.8'], '::808:808'],
      [['127.0.0.1', '::1'], '127.0.0.1'],
    ])('refuses %j whole', async (answers, culprit) => {
      const check = await checkUrlTarget('https://rebind.example.com/', resolverReturning(answers));
      expect(check.ok).toBe(false);
      expect(!check.ok && check.reason).toBe('private');
      expect(!check.ok && check.detail).toContain(culprit);
    });

    it('resolves a fully qualified name without its trailing dot', async () => {
      const resolve = resolverReturning(['93.184.216.34']);
      await checkUrlTarget('https://example.com./', resolve);
      expect(resolve).toHaveBeenCalledWith('example.com');
    });

    it('resolves the normalized (lower-case, punycode) host name', async () => {
      const resolve = resolverReturning(['93.184.216.34']);
      await checkUrlTarget('https://EXAMPLE.com/', resolve);
      await checkUrlTarget('https://bücher.example/', resolve);
      expect(resolve.mock.calls).toEqual([['example.com'], ['xn--bcher-kva.example']]);
    });

    it('ignores answers that are not addresses but still checks the rest', async () => {
      const check = await checkUrlTarget('https://example.com/', resolverReturning(['junk', '10.1.1.1']));
      expect(check).toMatchObject({ ok: false, reason: 'private' });
    });
  });

  describe('unresolvable names', () => {
    it('reports ENOTFOUND as unresolvable', async () => {
      const error = Object.assign(new Error('getaddrinfo ENOTFOUND nope.invalid'), { code: 'ENOTFOUND' });
      const check = await checkUrlTarget('https://nope.invalid/', resolverFailing(error));
      expect(check).toEqual({ ok: false, reason: 'unresolvable', detail: 'ENOTFOUND nope.invalid' });
    });

    it('reports a resolver error without a code as unresolvable', async () => {
      const check = await checkUrlTarget('https://example.com/', resolverFailing(new Error('boom')));
      expect(check).toMatchObject({ ok: false, reason: 'unresolvable', detail: 'lookup failed example.com' });
    });

    it.each([[[]], [['junk']]])('reports answers %j as unresolvable', async (answers) => {
      const check = await checkUrlTarget('https://example.com/', resolverReturning(answers));
      expect(check).toEqual({ ok: false, reason: 'unresolvable', detail: 'no address for example.com' });
    });
  });
});
