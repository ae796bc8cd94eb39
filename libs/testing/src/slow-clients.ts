import { connect } from 'node:net';

export interface HeldSocketResult {
  /** What the server wrote before it let go. */
  received: string;
  /** From the first byte sent to the server closing the connection. */
  elapsedMs: number;
}

/**
 * A client that sends part of a request head and never the rest, reading what comes back, until the
 * server closes the connection (README → Security: every listener cuts such a client off at its
 * headers deadline). Rejects after `giveUpMs`.
 */
export function partialHeadersClient(port: number, giveUpMs: number): Promise<HeldSocketResult> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let started = 0;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server held a partial-headers socket for over ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ received, elapsedMs: Date.now() - started });
    });
    socket.once('connect', () => {
      started = Date.now();
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: a');
    });
  });
}
