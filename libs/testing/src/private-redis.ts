import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort } from './processes';
import { waitUntil } from './wait-until';

/**
 * A memory-only redis-server child process on its own port, for tests that must stop, restart or
 * empty Redis (never the shared server). `stop()` kills exactly this child by its PID (SIGKILL: no
 * goodbye to clients, nothing saved); `start()` again brings it back on the same port and settings.
 */
export class PrivateRedis {
  private running?: { child: ChildProcess; exited: Promise<unknown> };
  private readonly dir = mkdtempSync(join(tmpdir(), 'event-api-redis-'));

  private constructor(
    readonly port: number,
    private readonly args: readonly string[],
  ) {}

  /** `args` are extra redis-server options, e.g. `['--maxmemory-policy', 'allkeys-lru']`. */
  static async start(args: readonly string[] = [], port?: number): Promise<PrivateRedis> {
    const redis = new PrivateRedis(port ?? (await freePort()), args);
    try {
      await redis.start();
    } catch (error) {
      await redis.dispose();
      throw error;
    }
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
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        '--daemonize',
        'no',
        ...this.args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
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

  async stop(): Promise<void> {
    if (!this.running) return;
    const { child, exited } = this.running;
    this.running = undefined;
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid as number, 'SIGKILL');
    await exited;
  }

  /**
   * Freezes this child (SIGSTOP): its connections stay open and nothing is answered, as a Redis that
   * hangs. `resume()` (SIGCONT) answers everything that waited; `stop()` works on a frozen one too.
   */
  pause(): void {
    if (this.running) process.kill(this.running.child.pid as number, 'SIGSTOP');
  }

  resume(): void {
    if (this.running) process.kill(this.running.child.pid as number, 'SIGCONT');
  }

  /** Stops the server for good and removes its working directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A node's cluster bus listens on its port + 10000, so both must be free and at most 65535. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port <= 55_535 && (await isFree(port + 10_000))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A Redis Cluster of `size` private masters (no replicas) on free ports, slots spread by
 * `redis-cli --cluster create`; resolves once every node reports `cluster_state:ok`.
 */
export class PrivateRedisCluster {
  private constructor(readonly nodes: readonly PrivateRedis[]) {}

  static async start(size = 3): Promise<PrivateRedisCluster> {
    const nodes: PrivateRedis[] = [];
    try {
      for (let i = 0; i < size; i += 1) {
        const port = await clusterPort();
        nodes.push(
          await PrivateRedis.start(
            [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              'nodes.conf',
              '--cluster-node-timeout',
              '2000',
              '--maxmemory-policy',
              'noeviction',
            ],
            port,
          ),
        );
      }
      const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
      execFileSync(
        'redis-cli',
        ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
        {
          stdio: 'ignore',
          timeout: 20_000,
        },
      );
      const cluster = new PrivateRedisCluster(nodes);
      await cluster.waitForState('ok');
      return cluster;
    } catch (error) {
      await Promise.all(nodes.map((node) => node.dispose()));
      throw error;
    }
  }

  /** Until every running node reports `cluster_state:<state>`. */
  async waitForState(state: 'ok' | 'fail', timeoutMs = 20_000): Promise<void> {
    await waitUntil(
      () =>
        Promise.resolve(
          this.nodes
            .filter((node) => node.isRunning)
            .every((node) =>
              execFileSync('redis-cli', ['-p', String(node.port), 'cluster', 'info'], {
                encoding: 'utf8',
              }).includes(`cluster_state:${state}`),
            ),
        ),
      timeoutMs,
      `cluster_state:${state} on every running node`,
    );
  }

  /** Starts any stopped node again and waits until the cluster is whole. */
  async heal(): Promise<void> {
    for (const node of this.nodes) await node.start();
    await this.waitForState('ok');
  }

  /** A seed URL: any node names the others. */
  get url(): string {
    return this.nodes[0].url;
  }

  /** How many keys matching `pattern` one node holds. */
  keyCount(node: PrivateRedis, pattern: string): number {
    const keys = execFileSync('redis-cli', ['-p', String(node.port), '--scan', '--pattern', pattern], {
      encoding: 'utf8',
    });
    return keys.split('\n').filter(Boolean).length;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.dispose()));
  }
}
