import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

function testFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file));
}

/** Rules for the test code itself, checked so they stay true. */
describe('test conventions', () => {
  const files = ['apps/api/test', 'apps/worker/test', 'apps/worker/reliability'].flatMap(testFiles);

  it('finds the test files', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it('webhooks are registered through the one factory in libs/testing, never a copy of it', () => {
    const copies = files.filter((file) =>
      /(const|function)\s+createWebhook\b/.test(readFileSync(join(ROOT, file), 'utf8')),
    );
    expect(copies).toEqual([]);
  });
});
