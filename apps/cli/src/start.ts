/**
 * npm start: runs the built API and worker together in one terminal. Ctrl-C (or SIGTERM) stops
 * both gracefully; if either exits on its own, the other is stopped too and the exit code kept.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const DIST = join(__dirname, '..', '..');
const SERVICES = [
  { name: 'api', entry: join(DIST, 'api', 'src', 'main.js') },
  { name: 'worker', entry: join(DIST, 'worker', 'src', 'main.js') },
];

const children: ChildProcess[] = [];
let stopping = false;
let exitCode = 0;

function stopAll(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

for (const service of SERVICES) {
  const child = spawn(process.execPath, [service.entry], { stdio: 'inherit', env: process.env });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`${service.name} exited (${code ?? signal}); stopping the others\n`);
      exitCode = code ?? 1;
      stopAll('SIGTERM');
    }
    if (children.every((other) => other.exitCode !== null || other.signalCode !== null))
      process.exit(exitCode);
  });
  children.push(child);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stopAll(signal));
