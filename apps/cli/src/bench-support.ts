/** The benchmark's plumbing: processes it starts, CPU accounting per process, cleanup. */
import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';

export const ROOT = join(__dirname, '..', '..', '..');
const CLOCK_TICKS_PER_SEC = 100;

export const log = (message: string): void => {
  process.stderr.write(`bench: ${message}\n`);
};
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function startReceiver(): Promise<{ child: ChildProcess; url: string }> {
  // The built file, run by node itself, so the receiver is one process whose CPU can be read.
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'cli', 'src', 'bench-receiver.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve) =>
    child.stdout?.once('data', (chunk: Buffer) =>
      resolve({ child, url: `http://127.0.0.1:${chunk.toString().trim()}` }),
    ),
  );
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
  } catch {
    return 0;
  }
}

function pidsNamed(command: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === command) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

export interface CpuGroups {
  worker: number[];
  receiver: number[];
  redis: number[];
}

export type CpuSample = Record<'worker' | 'postgres' | 'redis' | 'receiver' | 'bench' | 'machine', number>;

/** Busy CPU seconds of the whole machine (every core, user + system + interrupts). */
function machineSeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  void idle;
  void iowait;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SEC;
}

/**
 * CPU used by each party. PostgreSQL is every `postgres` process (backends come and go, so the
 * sum is taken per pid and pids that ended between samples are missed: a lower bound).
 */
export function sampleCpu(groups: CpuGroups): { sample: CpuSample; postgresPids: Map<number, number> } {
  const sum = (pids: number[]) => pids.reduce((total, pid) => total + cpuSeconds(pid), 0);
  const postgresPids = new Map(pidsNamed('postgres').map((pid) => [pid, cpuSeconds(pid)]));
  return {
    sample: {
      worker: sum(groups.worker),
      postgres: [...postgresPids.values()].reduce((a, b) => a + b, 0),
      redis: sum(groups.redis),
      receiver: sum(groups.receiver),
      bench: cpuSeconds(process.pid),
      machine: machineSeconds(),
    },
    postgresPids,
  };
}

/** Cores each party used between two samples of `sampleCpu`. */
export function coresBetween(
  before: ReturnType<typeof sampleCpu>,
  after: ReturnType<typeof sampleCpu>,
  seconds: number,
): CpuSample {
  let postgres = 0;
  for (const [pid, used] of after.postgresPids) postgres += used - (before.postgresPids.get(pid) ?? 0);
  const cores = (a: number, b: number) => Math.round(((b - a) / seconds) * 100) / 100;
  return {
    worker: cores(before.sample.worker, after.sample.worker),
    postgres: Math.round((postgres / seconds) * 100) / 100,
    redis: cores(before.sample.redis, after.sample.redis),
    receiver: cores(before.sample.receiver, after.sample.receiver),
    bench: cores(before.sample.bench, after.sample.bench),
    machine: cores(before.sample.machine, after.sample.machine),
  };
}

export async function redisPid(redisUrl: string): Promise<number[]> {
  const redis = new Redis(redisUrl);
  try {
    const info = await redis.info('server');
    const pid = /process_id:(\d+)/.exec(info)?.[1];
    return pid ? [Number(pid)] : [];
  } finally {
    redis.disconnect();
  }
}

export function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(field));
    return Math.round(Number(line?.replace(/\D+/g, '') ?? 0) / 1024);
  } catch {
    return 0;
  }
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.end();
}

/** Removes this run's keys only: the Redis server is shared. */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}
