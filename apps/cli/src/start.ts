/**
 * npm start: runs the built API and worker together in one terminal. Ctrl-C (or SIGTERM) stops
 * both gracefully; if either exits on its own, the other is stopped too and the exit code kept.
 * Outside production it states the development defaults in one line of its own, printed whatever
 * LOG_LEVEL is, and starts the processes with DEVELOPMENT_LAUNCH naming the notices that line states,
 * which they then log at debug (README → Quick start).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadConfigOrExit } from '@app/config';
import { developmentLaunch, printDevelopmentDefaults, redisAppendonlyOff } from './development-defaults';

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

function startService(service: (typeof SERVICES)[number], env: NodeJS.ProcessEnv): void {
  const child = spawn(process.execPath, [service.entry], { stdio: 'inherit', env });
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

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stopAll(signal));
  const launch = config.production
    ? developmentLaunch(config, undefined)
    : developmentLaunch(config, await redisAppendonlyOff(config));
  if (launch.line !== null) printDevelopmentDefaults(config.logLevel, launch.line);
  // Ctrl-C while Redis was being asked: nothing to start.
  if (stopping) process.exit(0);
  const env = { ...process.env, ...launch.env };
  for (const service of SERVICES) startService(service, env);
}

void main();
