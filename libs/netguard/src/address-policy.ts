import ipaddr from 'ipaddr.js';

export type ParsedAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Parses an IP literal (URL hostnames arrive normalized by the WHATWG parser, IPv6 in brackets).
 * IPv4-mapped IPv6 is unwrapped so `::ffff:127.0.0.1` is judged as 127.0.0.1.
 */
export function parseAddress(text: string): ParsedAddress | undefined {
  // ipaddr.js reads IPv4-compatible `::a.b.c.d` (how Node prints ::/96 answers) as IPv4-mapped
  // `::ffff:a.b.c.d`; spelled `::0:a.b.c.d` it stays in ::/96, like its hex form `::808:808`.
  const bare = (text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text).replace(
    /^::(?=[^:]*\.)/,
    '::0:',
  );
  if (!ipaddr.isValid(bare)) return undefined;
  const address = ipaddr.parse(bare.replace(/%.*$/, ''));
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (address as ipaddr.IPv6).toIPv4Address();
  }
  return address;
}

/**
 * Only globally routable unicast is deliverable: loopback, private, link-local (cloud metadata),
 * CGNAT, multicast, unspecified, reserved, NAT64/6to4/Teredo (which embed other addresses) and
 * the deprecated IPv4-compatible `::/96` are all refused. Returns the refused range, or null.
 * The named ranges come first, so `::1` is `loopback` and `::` `unspecified` although both lie in
 * `::/96`; every other address of `::/96` is `ipv4Compatible`.
 */
export function blockedRange(address: ParsedAddress): string | null {
  const range = address.range();
  if (range !== 'unicast') return range;
  if (address.kind() === 'ipv6') {
    const parts = (address as ipaddr.IPv6).parts;
    if (parts.slice(0, 6).every((part) => part === 0)) return 'ipv4Compatible';
  }
  return null;
}
