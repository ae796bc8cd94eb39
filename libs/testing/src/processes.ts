import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitUntil } from './wait-until';

const ROOT = join(__dirname, '..', '..', '..');

/** A built entry point (`npm test` builds first); `start` is what `npm start` runs (API and worker). */
export function builtEntry(app: 'api' | 'worker' | 'start'): string {
  const file = app === 'start' ? join('cli', 'src', 'start.js') : join(app, 'src', 'main.js');
  const entry = join(ROOT, 'dist', 'apps', file);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
  return entry;
}

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code, or the signal's name when a signal ended the process. */
  exited: Promise<number | string | null>;
}

/** Runs `node entry ...args` with only PATH, LOG_LEVEL=info and `env` in its environment. */
export function startProcess(
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
): RunningProcess {
  const child = spawn(process.execPath, [entry, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Settled at 'close', once all of its output has been read ('exit' can come first), or 2 s after
  // 'exit' should a process it started still hold the pipes.
  const exited = new Promise<number | string | null>((resolve) => {
    let fallback: NodeJS.Timeout | undefined;
    child.on('exit', (code, signal) => {
      fallback = setTimeout(() => resolve(code ?? signal), 2_000);
    });
    child.on('close', (code, signal) => {
      clearTimeout(fallback);
      resolve(code ?? signal);
    });
  });
  return { child, output: () => output, exited };
}

export async function waitForOutput(
  running: RunningProcess,
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<void> {
  await waitUntil(
    () => {
      if (running.child.exitCode !== null) throw new Error(`process exited: ${running.output()}`);
      return Promise.resolve(pattern.test(running.output()));
    },
    timeoutMs,
    String(pattern),
  ).catch((error: Error) => {
    throw error.message.startsWith('timed out') ? new Error(`${error.message}: ${running.output()}`) : error;
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
