import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

/** How a TimedReceiver path answers: at once, after a delay, never (hangs), or by resetting. */
export type Behaviour = { kind: 'ok' } | { kind: 'delay'; ms: number } | { kind: 'hang' } | { kind: 'reset' };

export interface Arrival {
  path: string;
  webhookId: string;
  at: number;
}

/**
 * A receiver for fairness tests: records when each delivery arrived (by path and `webhook-id`),
 * and answers per path as told. Stopping it destroys every socket, hanging ones included.
 */
export class TimedReceiver {
  readonly arrivals: Arrival[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((incoming, response) => this.handle(incoming, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  behave(path: string, behaviour: Behaviour): void {
    this.behaviours.set(path, behaviour);
  }

  count(path: string): number {
    return this.arrivals.filter((arrival) => arrival.path === path).length;
  }

  /** When the delivery of `eventId` to `path` first arrived. */
  arrivalOf(path: string, eventId: string): number | undefined {
    return this.arrivals.find((arrival) => arrival.path === path && arrival.webhookId === eventId)?.at;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(incoming: IncomingMessage, response: ServerResponse): void {
    const path = incoming.url ?? '';
    this.arrivals.push({ path, webhookId: String(incoming.headers['webhook-id']), at: Date.now() });
    incoming.resume();
    const behaviour = this.behaviours.get(path) ?? { kind: 'ok' };
    switch (behaviour.kind) {
      case 'ok':
        response.end('OK');
        return;
      case 'delay': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          response.end('OK');
        }, behaviour.ms);
        this.timers.add(timer);
        return;
      }
      case 'reset':
        incoming.socket.destroy();
        return;
      case 'hang':
        return;
    }
  }
}
