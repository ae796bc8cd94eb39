import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/** The non-test sources of every app and lib, relative to the repository. */
function sources(): string[] {
  return ['apps', 'libs'].flatMap((top) =>
    readdirSync(join(ROOT, top)).flatMap((name) =>
      readdirSync(join(ROOT, top, name, 'src'), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
        .map((file) => join(top, name, 'src', file)),
    ),
  );
}

/** Every producer's job names and data come from the one map of queues (JobPayloads). */
describe('queues', () => {
  it('are opened through openQueue: no BullMQ Queue is built directly', () => {
    const direct = sources().filter((file) =>
      /new Queue\s*[<(]/.test(readFileSync(join(ROOT, file), 'utf8')),
    );
    // The bench's yardsticks are plain BullMQ on queues of their own, on purpose (README → Performance).
    expect(direct.sort()).toEqual([
      join('apps', 'cli', 'src', 'bench-reference.ts'),
      join('libs', 'queue', 'src', 'typed-queue.ts'),
    ]);
  });
});
