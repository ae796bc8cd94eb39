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
  const files = ['apps/api/test', 'apps/worker/test', 'test/pipeline', 'test/reliability'].flatMap(testFiles);
  const importsOf = (file: string) =>
    [...readFileSync(join(ROOT, file), 'utf8').matchAll(/from '([^']+)'/g)].map((match) => match[1]);

  it('finds the test files', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it('webhooks are registered through the one factory in libs/testing, never a copy of it', () => {
    const copies = files.filter((file) =>
      /(const|function)\s+createWebhook\b/.test(readFileSync(join(ROOT, file), 'utf8')),
    );
    expect(copies).toEqual([]);
  });

  it("an app's tests never import another app's source: tests that need both live in test/pipeline", () => {
    const crossing = (dir: string, other: string) =>
      files
        .filter((file) => file.startsWith(dir))
        .filter((file) => importsOf(file).some((path) => path.includes(`${other}/src`)));
    expect([...crossing('apps/api/test', 'worker'), ...crossing('apps/worker/test', 'api')]).toEqual([]);
  });
});
