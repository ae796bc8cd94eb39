import request from 'supertest';
import { bearer, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

/**
 * README → API → Webhook fields (url rules) and Security (SSRF): every URL here must be a 400 naming `url`, at create and at
 * update, and nothing may be stored. Names are only ever reserved ones (`*.example`), so no lookup
 * can answer with a real host; `localhost` resolves through /etc/hosts.
 */
const CORPUS: Record<string, Array<[label: string, url: string]>> = {
  'IPv4 loopback': [
    ['dotted', 'http://127.0.0.1/'],
    ['elsewhere in 127/8', 'http://127.255.255.254/'],
    ['with port and path', 'http://127.0.0.1:8080/hook'],
    ['short 127.1', 'http://127.1/'],
    ['short 127.0.1', 'http://127.0.1/'],
    ['octal', 'http://0177.0.0.1/'],
    ['octal, zero-padded', 'http://0177.0000.0000.0001/'],
    ['leading zeros', 'http://127.000.000.001/'],
    ['hex short 0x7f.1', 'http://0x7f.1/'],
    ['hex dotted', 'http://0x7f.0x0.0x0.0x1/'],
    ['hex dword', 'http://0x7f000001/'],
    ['decimal dword', 'http://2130706433/'],
    ['octal dword', 'http://017700000001/'],
    ['mixed octal/hex/decimal', 'http://0177.0x0.0.01/'],
    ['percent-encoded digits', 'http://%31%32%37.0.0.1/'],
  ],
  'IPv4 private': [
    ['10.0.0.1', 'http://10.0.0.1/'],
    ['10.255.255.255', 'https://10.255.255.255/'],
    ['short 10.1', 'http://10.1/'],
    ['10/8 dword', 'http://167772161/'],
    ['10/8 hex', 'http://0xa.0.0.1/'],
    ['10/8 octal', 'http://012.0.0.1/'],
    ['172.16.0.1', 'http://172.16.0.1/'],
    ['172.31.255.255', 'http://172.31.255.255/'],
    ['172.16/12 hex', 'http://0xac.0x10.0.1/'],
    ['172.16/12 dword', 'http://2886729729/'],
    ['192.168.0.1', 'http://192.168.0.1/'],
    ['192.168 short', 'http://192.168.1/'],
    ['192.168 octal', 'http://0300.0250.0.1/'],
    ['192.168 dword', 'http://3232235521/'],
  ],
  'IPv4 link-local, metadata, CGNAT': [
    ['metadata 169.254.169.254', 'http://169.254.169.254/latest/meta-data/'],
    ['metadata dword', 'http://2852039166/'],
    ['metadata hex dword', 'http://0xa9fea9fe/'],
    ['metadata hex dotted', 'http://0xa9.0xfe.0xa9.0xfe/'],
    ['metadata octal', 'http://0251.0376.0251.0376/'],
    ['metadata short 169.254.43518', 'http://169.254.43518/'],
    ['other link-local', 'http://169.254.0.1/'],
    ['CGNAT 100.64.0.1', 'http://100.64.0.1/'],
    ['CGNAT 100.127.255.254', 'http://100.127.255.254/'],
    ['CGNAT dword', 'http://1681915905/'],
    ['CGNAT hex', 'http://0x64.0x40.0.1/'],
  ],
  'IPv4 unspecified / multicast / broadcast': [
    ['0.0.0.0', 'http://0.0.0.0/'],
    ['0', 'http://0/'],
    ['0x0', 'http://0x0/'],
    ['this network 0.1.2.3', 'http://0.1.2.3/'],
    ['multicast 224.0.0.1', 'http://224.0.0.1/'],
    ['multicast 239.255.255.250', 'http://239.255.255.250/'],
    ['multicast dword', 'http://3758096385/'],
    ['broadcast', 'http://255.255.255.255/'],
    ['broadcast dword', 'http://4294967295/'],
    ['broadcast hex', 'http://0xffffffff/'],
  ],
  'IPv6 (and zone ids)': [
    ['loopback ::1', 'http://[::1]/'],
    ['loopback expanded', 'http://[0:0:0:0:0:0:0:1]/'],
    ['loopback zero-padded', 'http://[0000:0000:0000:0000:0000:0000:0000:0001]/'],
    ['loopback with port', 'http://[::1]:8080/'],
    ['unspecified ::', 'http://[::]/'],
    ['link-local', 'http://[fe80::1]/'],
    ['link-local embedding metadata', 'http://[fe80::a9fe:a9fe]/'],
    ['unique-local fd00::1', 'http://[fd00::1]/'],
    ['unique-local fc00::1', 'http://[fc00::1]/'],
    ['unique-local AWS metadata', 'http://[fd00:ec2::254]/'],
    ['multicast ff02::1', 'http://[ff02::1]/'],
    ['multicast uppercase', 'http://[FF05::1]/'],
    ['zone id %25eth0', 'http://[fe80::1%25eth0]/'],
    ['zone id, raw %', 'http://[fe80::1%eth0]/'],
    ['zone id on ::1', 'http://[::1%25lo]/'],
  ],
  'IPv4 inside IPv6': [
    ['mapped ::ffff:127.0.0.1', 'http://[::ffff:127.0.0.1]/'],
    ['mapped hex ::ffff:7f00:1', 'http://[::ffff:7f00:1]/'],
    ['mapped uppercase', 'http://[::FFFF:7F00:1]/'],
    ['mapped expanded', 'http://[0:0:0:0:0:ffff:127.0.0.1]/'],
    ['mapped metadata', 'http://[::ffff:169.254.169.254]/'],
    ['mapped metadata hex', 'http://[::ffff:a9fe:a9fe]/'],
    ['mapped 10/8', 'http://[::ffff:10.0.0.1]/'],
    ['mapped 192.168', 'http://[::ffff:192.168.0.1]/'],
    ['mapped CGNAT', 'http://[::ffff:100.64.0.1]/'],
    ['mapped unspecified', 'http://[::ffff:0.0.0.0]/'],
    ['mapped multicast', 'http://[::ffff:224.0.0.1]/'],
    ['compatible ::127.0.0.1', 'http://[::127.0.0.1]/'],
    ['compatible hex ::7f00:1', 'http://[::7f00:1]/'],
    ['compatible ::10.0.0.1', 'http://[::10.0.0.1]/'],
    ['compatible ::/96 of a public address', 'http://[::8.8.8.8]/'],
    ['NAT64 64:ff9b::7f00:1', 'http://[64:ff9b::7f00:1]/'],
    ['NAT64 dotted', 'http://[64:ff9b::127.0.0.1]/'],
    ['local-use NAT64', 'http://[64:ff9b:1::a00:1]/'],
    ['6to4 of 127.0.0.1', 'http://[2002:7f00:1::]/'],
    ['6to4 of metadata', 'http://[2002:a9fe:a9fe::1]/'],
    ['Teredo, client 127.0.0.1', 'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/'],
  ],
  'case, trailing dots, names': [
    ['trailing dot', 'http://127.0.0.1./'],
    ['uppercase scheme', 'HTTP://127.0.0.1/'],
    ['uppercase hex', 'http://0X7F.1/'],
    ['localhost', 'http://localhost/'],
    ['localhost with port', 'http://localhost:3000/hook'],
    ['localhost trailing dot', 'http://localhost./'],
    ['LOCALHOST', 'http://LOCALHOST/'],
    ['LocalHost with port', 'http://LocalHost:8080/'],
    ['percent-encoded localhost', 'https://%6c%6f%63%61%6c%68%6f%73%74/'],
  ],
  userinfo: [
    ['name@loopback', 'http://hooks.example@127.0.0.1/'],
    ['credentials@loopback', 'http://admin:admin@127.0.0.1/'],
    ['loopback#@name', 'http://127.0.0.1#@hooks.example/'],
    ['empty userinfo', 'https://@hooks.example/'],
    ['empty user and password', 'https://:@hooks.example/'],
    ['user:pass', 'https://user:pass@hooks.example/'],
    ['user only', 'https://user@hooks.example/'],
    ['[::1]@name', 'http://[::1]@hooks.example/'],
    ['percent-encoded @', 'http://hooks.example%40127.0.0.1/'],
  ],
  'parser confusion': [
    ['backslashes only', 'http:\\\\127.0.0.1\\'],
    ['loopback\\name', 'http://127.0.0.1\\hooks.example/'],
    ['loopback:port\\@name', 'http://127.0.0.1:80\\@hooks.example/'],
    ['name\\@loopback', 'http://hooks.example\\@127.0.0.1/'],
    ['one slash', 'http:/127.0.0.1/'],
    ['no slashes', 'http:127.0.0.1/'],
    ['three slashes', 'http:///127.0.0.1/'],
    ['scheme-relative', '//127.0.0.1/'],
    ['missing scheme', '127.0.0.1/'],
    ['missing scheme, host:port', 'localhost:8080/'],
    ['tab in host', 'http://127.0.0.1\t/'],
    ['tab in scheme', 'ht\ttp://127.0.0.1/'],
    ['newline in host', 'http://127.0.0\n.1/'],
    ['CRLF at the end', 'http://127.0.0.1/\r\n'],
    ['space in host', 'http://127.0.0.1 /'],
    ['leading space', ' http://127.0.0.1/'],
    ['no-break space', 'http://127.0.0.1\u00a0/'],
  ],
  'IDN and fullwidth': [
    ['fullwidth digits', 'http://１２７.０.０.１/'],
    ['circled numbers ⑫⑦', 'http://⑫⑦.0.0.1/'],
    ['circled digit ①', 'http://127.0.0.①/'],
    ['ideographic full stops', 'http://127。0。0。1/'],
    ['percent-encoded ideographic full stop', 'http://127.0.0.1%E3%80%82/'],
    ['fullwidth digit in hex', 'http://0x７f.1/'],
    ['fullwidth localhost', 'http://ｌｏｃａｌｈｏｓｔ/'],
    ['circled localhost', 'http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/'],
  ],
  schemes: [
    ['ftp', 'ftp://hooks.example/'],
    ['file', 'file:///etc/passwd'],
    ['gopher', 'gopher://127.0.0.1:6379/_INFO'],
    ['javascript', 'javascript:alert(1)'],
    ['data', 'data:text/plain,hi'],
    ['ws', 'ws://hooks.example/'],
    ['wss', 'wss://hooks.example/'],
    ['mailto', 'mailto:ops@hooks.example'],
    ['dict', 'dict://127.0.0.1:11211/'],
    ['httpx', 'httpx://hooks.example/'],
    ['https without slashes', 'https:hooks.example'],
  ],
  'ports, length, empty host': [
    ['port 0', 'https://hooks.example:0/'],
    ['port 00', 'https://hooks.example:00/'],
    ['port 0 on loopback', 'http://127.0.0.1:0/'],
    ['port 65536', 'https://hooks.example:65536/'],
    ['port 99999', 'https://hooks.example:99999/'],
    ['port -1', 'https://hooks.example:-1/'],
    ['port not a number', 'https://hooks.example:80a/'],
    ['two ports', 'https://hooks.example:443:80/'],
    ['1001 characters', `https://hooks.example/${'a'.repeat(1001 - 'https://hooks.example/'.length)}`],
    ['10,000 characters', `https://hooks.example/${'a'.repeat(10_000)}`],
    ['empty string', ''],
    ['http://', 'http://'],
    ['http:///', 'http:///'],
    ['query only', 'https://?x'],
    ['port only', 'http://:80/'],
    ['empty brackets', 'http://[]/'],
    ['encoded space host', 'http://%20/'],
  ],
};

const CASES = Object.entries(CORPUS).flatMap(([kind, entries]) =>
  entries.map(([label, url]): [string, string] => [`${kind}: ${label}`, url]),
);

const events = [{ name: 'api.created' }];
const VALID_URL = 'https://hooks.example/valid';

/** {code: 400, message, errors: [{field: 'url', message}, …]}: every error names `url`, nothing else. */
function expectUrlRefusal(response: request.Response): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status: 400,
    body: { code: 400, message: expect.stringMatching(/url/), errors: expect.any(Array) },
  });
  expect(response.body.errors).not.toHaveLength(0);
  for (const error of response.body.errors)
    expect(error).toEqual({ field: 'url', message: expect.any(String) });
}

describe('Hostile webhook URLs are refused at create and update (e2e)', () => {
  let api: TestApi;
  const auth = bearer(mintToken({ sub: `hostile-urls-${Date.now()}` }));
  let webhook: { id: string; updatedAt: string };
  const post = (body: object, who = auth) => request(api.http).post('/webhooks').set(who).send(body);

  beforeAll(async () => {
    api = await createTestApi();
    const created = await post({ url: VALID_URL, events });
    expect(created.status).toBe(201);
    webhook = created.body;
  });
  afterAll(async () => {
    // Nothing was created, nothing was changed.
    try {
      const list = await request(api.http).get('/webhooks').set(auth).expect(200);
      expect(list.body).toHaveLength(1);
      expect(list.body[0]).toMatchObject({ id: webhook.id, url: VALID_URL, updatedAt: webhook.updatedAt });
    } finally {
      await api.close();
    }
  });

  it('holds at least 110 hostile URLs, all distinct', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(110);
    expect(new Set(CASES.map(([, url]) => url)).size).toBe(CASES.length);
  });

  it.each(CASES)('create: %s → 400', async (_label, url) => {
    expectUrlRefusal(await post({ url, events }));
  });

  it.each(CASES)('update: %s → 400', async (_label, url) => {
    expectUrlRefusal(await request(api.http).put(`/webhooks/${webhook.id}`).set(auth).send({ url }));
  });

  it('control: public addresses in unusual spellings are accepted (the guard is not refusing everything)', async () => {
    const other = bearer(mintToken({ sub: `hostile-urls-control-${Date.now()}` }));
    // Inactive, and deleted at once: nothing is ever sent to them.
    for (const url of ['http://93.184.216.34/hook', 'http://[::ffff:5db8:d822]/hook', 'http://1572395042/']) {
      const created = await post({ url, events, active: false }, other);
      expect({ url, status: created.status }).toEqual({ url, status: 201 });
      await request(api.http).delete(`/webhooks/${created.body.id}`).set(other).expect(204);
    }
  });
});
