import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every consumer's job names and data come from the one map of queues (JobPayloads). */
describe('queue consumers', () => {
  // The services and libs; the CLI's bench runs a plain BullMQ worker as its reference on purpose.
  const files = [
    join(ROOT, 'apps', 'api', 'src'),
    join(ROOT, 'apps', 'worker', 'src'),
    ...readdirSync(join(ROOT, 'libs')).map((lib) => join(ROOT, 'libs', lib, 'src')),
  ].flatMap(sources);

  it('are TolerantWorkers: no BullMQ Worker is built directly', () => {
    const direct = files.filter((file) =>
      /new Worker\s*[<(]|extends Worker\b/.test(readFileSync(file, 'utf8')),
    );
    expect(direct.map((file) => relative(ROOT, file))).toEqual(['apps/worker/src/tolerant-worker.ts']);
  });

  it('TolerantWorker takes its types from JobPayloads, by queue name', () => {
    const source = readFileSync(join(__dirname, 'tolerant-worker.ts'), 'utf8');
    expect(source).toMatch(
      /class TolerantWorker<Q extends QueueName> extends Worker<JobDataOf<Q>, unknown, JobNameOf<Q>>/,
    );
  });
});
