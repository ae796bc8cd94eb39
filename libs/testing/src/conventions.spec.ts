import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, normalize, sep } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file));
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
}

function some(node: ts.Node, predicate: (node: ts.Node) => boolean): boolean {
  return predicate(node) || ts.forEachChild(node, (child) => some(child, predicate) || undefined) === true;
}

/** `<x>.<method>(<first>, …)` with `first` satisfying `test`. */
function isMethodCall(node: ts.Node, method: string, test: (first: ts.Expression) => boolean): boolean {
  return (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    node.expression.name.text === method &&
    node.arguments.length > 0 &&
    test(node.arguments[0])
  );
}

const postsToWebhooks = (node: ts.Node) =>
  isMethodCall(node, 'post', (url) => ts.isStringLiteralLike(url) && url.text === '/webhooks');
const expects201 = (node: ts.Node) =>
  ['expect', 'toBe', 'toEqual'].some((method) =>
    isMethodCall(node, method, (status) => ts.isNumericLiteral(status) && status.text === '201'),
  );

const TEST_CALLBACKS = new Set([
  'it',
  'test',
  'describe',
  'beforeAll',
  'beforeEach',
  'afterAll',
  'afterEach',
]);

/** The name of a function that is a helper: declared, or assigned to a const, a property or a method. */
function helperName(node: ts.Node): string | undefined {
  if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node))
    return node.name?.getText() ?? '(default)';
  if (!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) return undefined;
  const { parent } = node;
  if (
    ts.isVariableDeclaration(parent) ||
    ts.isPropertyAssignment(parent) ||
    ts.isPropertyDeclaration(parent)
  ) {
    return parent.name.getText();
  }
  return undefined;
}

/** A test's own callback (`it('…', async () => …)`): requests in it are the test's, not a helper's. */
function isTestCallback(node: ts.Node): boolean {
  if (!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) return false;
  const call = node.parent;
  if (!ts.isCallExpression(call)) return false;
  let callee: ts.Expression = call.expression;
  while (ts.isPropertyAccessExpression(callee) || ts.isCallExpression(callee)) callee = callee.expression; // it.each(…)(…)
  return ts.isIdentifier(callee) && TEST_CALLBACKS.has(callee.text);
}

/**
 * Helpers (named functions) that POST /webhooks and expect 201: copies of `createWebhook`, whatever their
 * name, as `line name`. A test's own request, inline in its callback, is not one: it asserts on creation.
 */
function webhookFactoryCopies(source: ts.SourceFile): string[] {
  const copies = new Set<string>();
  const visit = (node: ts.Node) => {
    if (postsToWebhooks(node)) {
      for (let scope = node.parent; !ts.isSourceFile(scope) && !isTestCallback(scope); scope = scope.parent) {
        const name = helperName(scope);
        if (name === undefined) continue;
        const line = source.getLineAndCharacterOfPosition(scope.getStart()).line + 1;
        if (some(scope, expects201)) copies.add(`${line} ${name}`);
        break;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...copies];
}

/**
 * Every module a file names, in any form: `import … from`, `export … from`, `import x = require()`,
 * `import('…')` (also as a type), `require('…')`, `require.resolve('…')` and `jest.mock('…')` and the
 * other `jest.*` module functions.
 */
function moduleSpecifiers(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteralLike(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isExternalModuleReference(node) && ts.isStringLiteralLike(node.expression)) {
      found.push(node.expression.text);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteralLike(node.argument.literal)
    ) {
      found.push(node.argument.literal.text);
    } else if (
      ts.isCallExpression(node) &&
      node.arguments.length > 0 &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      const callee = node.expression;
      const loads =
        callee.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(callee) && callee.text === 'require') ||
        (ts.isPropertyAccessExpression(callee) &&
          ts.isIdentifier(callee.expression) &&
          ['require', 'jest'].includes(callee.expression.text));
      if (loads) found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The app (`apps/<app>/…`) a module of `file` is in, if it is one of an app's. */
function appOf(file: string, specifier: string): string | undefined {
  const path = specifier.startsWith('.') ? normalize(join(dirname(file), specifier)) : specifier;
  return /^apps\/([^/]+)\//.exec(path.split(sep).join('/'))?.[1];
}

/** `file → module` for each module of another app that `file` loads. */
function crossings(file: string, own: string | undefined): string[] {
  return moduleSpecifiers(parse(file))
    .filter((specifier) => {
      const app = appOf(file, specifier);
      return app !== undefined && app !== own;
    })
    .map((specifier) => `${file} → ${specifier}`);
}

/** Rules for the test code itself, checked so they stay true. */
describe('test conventions', () => {
  const files = ['apps/api/test', 'apps/worker/test', 'test/pipeline', 'test/reliability'].flatMap(tsFiles);

  it('finds the test files', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it('webhooks are registered through the one factory in libs/testing, never a copy of it', () => {
    const outsideTesting = ['apps', 'libs', 'test']
      .flatMap(tsFiles)
      .filter((file) => !file.startsWith(join('libs', 'testing')));
    const copies = outsideTesting.flatMap((file) =>
      webhookFactoryCopies(parse(file)).map((copy) => `${file}:${copy}`),
    );
    expect(copies).toEqual([]);
  });

  it('the copy check finds a helper by what it does, and leaves a test its own request', () => {
    const copies = (text: string) =>
      webhookFactoryCopies(ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true)).map((copy) =>
        copy.replace(/^\d+ /, ''),
      );
    const post = "request(http).post('/webhooks').set(auth).send(body)";
    expect(copies(`const make = (body) => ${post}.expect(201);`)).toEqual(['make']);
    expect(
      copies(`async function tenant() { const r = await ${post}; expect(r.status).toBe(201); }`),
    ).toEqual(['tenant']);
    expect(
      copies(`describe('x', () => { const s = { hooks: () => [1].map(() => ${post}.expect(201)) }; });`),
    ).toEqual(['hooks']);
    expect(copies(`it('creates', async () => { await ${post}.expect(201); });`)).toEqual([]);
    expect(copies(`const send = (body) => ${post}; it('creates', () => send({}).expect(201));`)).toEqual([]);
  });

  it("an app never loads another app's source: what two share lives in libs/, tests that need both in test/", () => {
    const crossed = readdirSync(join(ROOT, 'apps')).flatMap((app) =>
      tsFiles(join('apps', app)).flatMap((file) => crossings(file, app)),
    );
    expect(crossed).toEqual([]);
  });

  it('libs never load an app', () => {
    expect(tsFiles('libs').flatMap((file) => crossings(file, undefined))).toEqual([]);
  });

  it('the load check sees every form of naming a module', () => {
    const text = [
      "import { a } from '../../worker/src/a';",
      "export * from '../../worker/src/b';",
      "import c = require('../../worker/src/c');",
      "type D = typeof import('../../worker/src/d');",
      "const e = require('../../worker/src/e');",
      "jest.mock('../../worker/src/f');",
      "const g = jest.requireActual('../../worker/src/g');",
      "void import('../../worker/src/h');",
      "import { own } from '../src/own';",
      "import { lib } from '@app/queue';",
    ].join('\n');
    const source = ts.createSourceFile('apps/api/test/x.ts', text, ts.ScriptTarget.Latest, true);
    const file = join('apps', 'api', 'test', 'x.ts');
    const apps = moduleSpecifiers(source).map((specifier) => appOf(file, specifier));
    expect(apps).toEqual([
      'worker',
      'worker',
      'worker',
      'worker',
      'worker',
      'worker',
      'worker',
      'worker',
      'api',
      undefined,
    ]);
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
