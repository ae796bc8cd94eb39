import type { Resolver } from '@app/netguard';
import { loadConfig } from '@app/config';
import { ConnectProxy, HttpReceiver, TEST_JWT_SECRET } from '@app/testing';
import { HttpSender } from '../src/delivery/http-sender';

const body = '{"id":"e"}';
const headers = { 'content-type': 'application/json' };

/** DELIVERY_PROXY: every delivery through a forward proxy; the address checks still apply to the target (README → Security → Behind an egress proxy). */
describe('Deliveries through an egress proxy (e2e)', () => {
  const proxy = new ConnectProxy();
  const receiver = new HttpReceiver();
  let proxyUrl: string;
  const senders: HttpSender[] = [];
  const sender = (allowPrivateNetworks: boolean, resolve?: Resolver) => {
    const created = new HttpSender({ timeoutMs: 2_000, allowPrivateNetworks, proxyUrl }, resolve);
    senders.push(created);
    return created;
  };

  beforeAll(async () => {
    proxyUrl = await proxy.start();
    await receiver.start();
  });
  afterAll(async () => {
    await Promise.all(senders.map((s) => s.close()));
    await receiver.stop();
    await proxy.stop();
  });
  beforeEach(() => {
    proxy.connects.length = 0;
  });

  it('sends through the proxy (CONNECT to the target)', async () => {
    const result = await sender(true).send(`${receiver.url}/via-proxy`, body, headers);
    expect(result).toMatchObject({ statusCode: 200, error: null });
    expect(proxy.connects).toEqual([receiver.url.replace('http://', '')]);
    expect(receiver.requests.at(-1)?.url).toBe('/via-proxy');
  });

  it('a literal private target is refused before the proxy is asked', async () => {
    const result = await sender(false).send(`${receiver.url}/never`, body, headers);
    expect(result).toMatchObject({ statusCode: null, error: 'blocked: private address' });
    expect(proxy.connects).toEqual([]);
  });

  it('a name that resolves to a private address is refused before the proxy is asked', async () => {
    const resolve: Resolver = () => Promise.resolve(['127.0.0.1']);
    const result = await sender(false, resolve).send('http://internal.example.test:8080/x', body, headers);
    expect(result).toMatchObject({ statusCode: null, error: 'blocked: private address' });
    expect(proxy.connects).toEqual([]);
  });

  it('a public name goes to the proxy, which has the last word (this one refuses all but loopback)', async () => {
    const resolve: Resolver = () => Promise.resolve(['93.184.216.34']);
    const result = await sender(false, resolve).send('http://public.example.test/x', body, headers);
    expect(proxy.connects).toEqual(['public.example.test:80']);
    expect(result.statusCode).toBeNull();
    expect(result.error).toMatch(/403|proxy/i);
  });

  it('DELIVERY_PROXY must be an http:// URL', () => {
    const base = { JWT_SECRET: TEST_JWT_SECRET };
    expect(loadConfig({ ...base, DELIVERY_PROXY: 'http://127.0.0.1:3128' }).delivery.proxyUrl).toBe(
      'http://127.0.0.1:3128',
    );
    expect(loadConfig(base).delivery.proxyUrl).toBeUndefined();
    expect(() => loadConfig({ ...base, DELIVERY_PROXY: 'socks5://127.0.0.1:1080' })).toThrow(
      /DELIVERY_PROXY/,
    );
  });
});
