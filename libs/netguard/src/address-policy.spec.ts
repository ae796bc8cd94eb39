import { blockedRange, parseAddress, ParsedAddress } from '@app/netguard';

function parsed(text: string): ParsedAddress {
  const address = parseAddress(text);
  if (address === undefined) throw new Error(`parseAddress refused ${text}`);
  return address;
}

describe('parseAddress', () => {
  it('parses IPv4 and IPv6 literals', () => {
    expect(parsed('8.8.8.8').kind()).toBe('ipv4');
    expect(parsed('8.8.8.8').toString()).toBe('8.8.8.8');
    expect(parsed('2606:4700::1111').kind()).toBe('ipv6');
    expect(parsed('2606:4700:0:0:0:0:0:1111').toString()).toBe('2606:4700::1111');
  });

  it('strips the brackets of a URL hostname', () => {
    expect(parsed('[::1]').toString()).toBe('::1');
    expect(parsed('[2606:4700::1111]').kind()).toBe('ipv6');
  });

  it('strips an IPv6 zone id', () => {
    expect(parsed('fe80::1%eth0').toString()).toBe('fe80::1');
  });

  it.each(['::ffff:127.0.0.1', '::ffff:7f00:1', '[::ffff:7f00:1]', '0:0:0:0:0:ffff:127.0.0.1'])(
    'unwraps IPv4-mapped %s to IPv4',
    (text) => {
      const address = parsed(text);
      expect(address.kind()).toBe('ipv4');
      expect(address.toString()).toBe('127.0.0.1');
    },
  );

  it('keeps IPv4-compatible ::a.b.c.d inside ::/96 (not read as IPv4-mapped)', () => {
    for (const text of ['::8.8.8.8', '::808:808', '[::8.8.8.8]']) {
      const address = parsed(text);
      expect(address.kind()).toBe('ipv6');
      expect(address.toString()).toBe('::808:808');
    }
  });

  it.each(['example.com', 'localhost', '', '[]', '1.2.3.4.5', '256.1.1.1', ':::1', '[example.com]'])(
    'returns undefined for non-addresses like %j',
    (text) => {
      expect(parseAddress(text)).toBeUndefined();
    },
  );
});

describe('blockedRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['fe80::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['fd00::1', 'uniqueLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'uniqueLocal'],
  ])('blocks %s as %s', (text, range) => {
    expect(blockedRange(parsed(text))).toBe(range);
  });

  it.each([
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['::7f00:1', 'IPv4-compatible loopback (hex)'],
    ['::10.0.0.1', 'IPv4-compatible private'],
    ['::ffff:0:127.0.0.1', 'SIIT (RFC 6145)'],
    ['64:ff9b::7f00:1', 'NAT64 (RFC 6052)'],
    ['64:ff9b:1::a00:1', 'local NAT64 (RFC 8215)'],
    ['2002:7f00:1::', '6to4'],
    ['2001:0:4136:e378::1', 'Teredo'],
    ['2001:db8::1', 'IPv6 documentation'],
    ['fec0::1', 'deprecated site-local'],
    ['100::1', 'discard'],
    ['192.0.2.1', 'TEST-NET-1'],
    ['198.18.0.1', 'benchmarking'],
    ['240.0.0.1', 'reserved class E'],
    ['0.1.2.3', 'this network'],
  ])('blocks %s (%s)', (text) => {
    expect(blockedRange(parsed(text))).not.toBeNull();
  });

  it.each(['::8.8.8.8', '::808:808', '::93.184.216.34', '::7f00:1', '::127.0.0.1', '::10.0.0.1'])(
    'blocks %s as ::/96',
    (text) => {
      expect(blockedRange(parsed(text))).toBe('ipv4Compatible');
    },
  );

  it.each([
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
  ])('names %s by its own range (%s), not ::/96', (text, range) => {
    expect(blockedRange(parsed(text))).toBe(range);
  });

  const publicAddresses = ['93.184.216.34', '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1'];
  it.each([...publicAddresses, '2606:4700::1111', '2001:4860:4860::8888'])('allows public %s', (text) => {
    expect(blockedRange(parsed(text))).toBeNull();
  });

  it('allows the public IPv4 behind an IPv4-mapped address', () => {
    expect(blockedRange(parsed('::ffff:8.8.8.8'))).toBeNull();
  });
});
