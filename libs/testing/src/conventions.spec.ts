import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
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

/** Every package the code imports is declared, so `npm ci` installs it and no hoisting accident hides it. */
describe('package conventions', () => {
  const SOURCES = /\.(ts|mts|cts|js|mjs|cjs)$/;
  const files = [
    ...['apps', 'libs', 'test'].flatMap((dir) =>
      readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => SOURCES.test(file) && !file.split(/[\\/]/).includes('node_modules'))
        .map((file) => join(dir, file)),
    ),
    'jest.config.ts',
    'eslint.config.mjs',
  ];
  // What follows `from`, `import`, `require(` and `import(`: a package name, optionally with a path in it.
  const SPECIFIER =
    /(?:\bfrom\s+|\bimport\s+|\brequire\(\s*|\bimport\(\s*)(['"])((?:@[\w.-]+\/)?[\w.-]+(?:\/[\w./-]*)?)\1/g;
  const packageOf = (specifier: string) =>
    specifier
      .split('/')
      .slice(0, specifier.startsWith('@') ? 2 : 1)
      .join('/');

  it('imports only packages declared in package.json (dependencies or devDependencies), Node built-ins and @app/*', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const declared = new Set([
      ...Object.keys(manifest.dependencies),
      ...Object.keys(manifest.devDependencies),
    ]);
    const undeclared = files.flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(SPECIFIER)]
        .map((match) => match[2])
        .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('@app/'))
        .filter(
          (specifier) => !specifier.startsWith('node:') && !builtinModules.includes(packageOf(specifier)),
        )
        .filter((specifier) => !declared.has(packageOf(specifier)))
        .map((specifier) => `${file}: ${specifier}`),
    );
    expect(files.length).toBeGreaterThan(100);
    expect(undeclared).toEqual([]);
  });
});
