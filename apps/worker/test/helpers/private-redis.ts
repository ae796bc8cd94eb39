import { ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { freePort } from '@app/testing';
import { waitUntil } from './pipeline';

/**
 * A memory-only redis-server child process on its own port, to take down and bring back (outage
 * tests). Stopping kills exactly this child by its PID; starting again reuses the port.
 */
export class PrivateRedis {
  private running?: { child: ChildProcess; exited: Promise<unknown> };

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** Resolves once the server accepts connections. */
  async start(): Promise<void> {
    if (this.running) return;
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const child = spawn('redis-server', [...args, '--dir', tmpdir()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    this.running = { child, exited: new Promise((resolve) => child.once('exit', resolve)) };
    await waitUntil(
      () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
        return Promise.resolve(/Ready to accept connections/.test(output));
      },
      10_000,
      'redis-server',
    );
  }

  /** Kills the server (SIGKILL: no goodbye to clients, nothing saved) and waits for its exit. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const { child, exited } = this.running;
    this.running = undefined;
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid as number, 'SIGKILL');
    await exited;
  }
}
