/**
 * The benchmark's receiver, run as its own process so every measurement hits the same server:
 * answers 200 at once (never, on paths under /hang/: the isolation scenario's dead endpoint),
 * remembers when each webhook-id first arrived, and serves GET /__stats and GET /__count/<path>
 * (POSTs received on /<path>: cheap to poll while a scenario runs).
 */
import { createServer } from 'node:http';

const firstSeen = new Map<string, number>();
const perPath = new Map<string, number>();
let received = 0;

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/__stats') {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ received, firstSeen: Object.fromEntries(firstSeen) }));
    return;
  }
  if (request.method === 'GET' && request.url?.startsWith('/__count/')) {
    response.end(String(perPath.get(request.url.slice('/__count'.length)) ?? 0));
    return;
  }
  if (request.method === 'POST' && request.url === '/__reset') {
    firstSeen.clear();
    received = 0;
    response.end();
    return;
  }
  request.on('data', () => undefined);
  request.on('end', () => {
    received += 1;
    perPath.set(request.url ?? '', (perPath.get(request.url ?? '') ?? 0) + 1);
    const id = request.headers['webhook-id'];
    if (typeof id === 'string' && !firstSeen.has(id)) firstSeen.set(id, Date.now());
    if (request.url?.startsWith('/hang/')) return;
    response.end('OK');
  });
});

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`${address.port}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  // The hanging requests would otherwise keep it open.
  server.closeAllConnections();
});
