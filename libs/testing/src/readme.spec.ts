import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

interface Heading {
  level: number;
  text: string;
  /** Its position among the headings. */
  index: number;
  /** The lines of its section, up to the next heading of its level or above. */
  body: string;
}

/** The README's headings (not `#` lines inside code blocks), with their sections. */
function headingsOf(markdown: string): Heading[] {
  const lines = markdown.split('\n');
  const found: Array<{ level: number; text: string; line: number }> = [];
  let fenced = false;
  lines.forEach((line, number) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^(#{1,6})\s+(.+?)\s*$/.exec(line);
    if (heading) found.push({ level: heading[1].length, text: heading[2], line: number });
  });
  return found.map((heading, index) => {
    const end = found.slice(index + 1).find((next) => next.level <= heading.level)?.line ?? lines.length;
    return { ...heading, index, body: lines.slice(heading.line + 1, end).join('\n') };
  });
}

const HEADINGS = headingsOf(README);

function section(path: string[]): Heading {
  const heading = resolve(path.join(' → '), HEADINGS)?.heading;
  if (!heading) throw new Error(`README has no section ${path.join(' → ')}`);
  return heading;
}

/** The headings of `heading`'s section, at any depth below it. */
function within(heading: Heading): Heading[] {
  const next = HEADINGS.findIndex((other) => other.index > heading.index && other.level <= heading.level);
  return HEADINGS.slice(heading.index + 1, next === -1 ? undefined : next);
}

/** What may follow a reference's last part: punctuation, the end of the text or comment, a dash or a parenthesis. */
const REFERENCE_END = /^(?:$|[).,;:'"`]|\*\/|\s+(?:—|\(|\*\/))/;

/**
 * The heading a reference (`A → B → C`, as written after `README → `) names: each part is a heading's
 * whole text, each within the section of the one before (at any depth below it), and the reference
 * ends after its last part. Undefined when it names none.
 */
function resolve(text: string, candidates: Heading[]): { heading: Heading } | undefined {
  for (const heading of candidates) {
    if (!text.startsWith(heading.text)) continue;
    const after = text.slice(heading.text.length);
    const arrow = /^\s*→\s*/.exec(after);
    if (arrow) {
      const nested = resolve(after.slice(arrow[0].length), within(heading));
      if (nested) return nested;
    } else if (REFERENCE_END.test(after)) {
      return { heading };
    }
  }
  return undefined;
}

/** The text of the code and config files a reader meets: apps/, libs/, test/ and the root configs. */
function codeFiles(): string[] {
  const tree = ['apps', 'libs', 'test'].flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.(ts|js|mjs)$/.test(file))
      .map((file) => join(dir, file)),
  );
  return [...tree, 'eslint.config.mjs', 'jest.config.ts'];
}

/** A file's text with comment line breaks folded into spaces, so a reference wrapped over lines reads whole. */
function unwrapped(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8').replace(/\s*\n\s*(?:\/\/+|\*(?!\/))?\s*/g, ' ');
}

/** Entries of README → Development → Layout: the first word of an unindented line → its whole text. */
function layoutEntries(): Map<string, string> {
  const block = /```\n([\s\S]*?)```/.exec(section(['Development', 'Layout']).body)?.[1] ?? '';
  const entries = new Map<string, string>();
  let current = '';
  for (const line of block.split('\n')) {
    if (/^\S/.test(line)) {
      current = line.split(/\s+/)[0];
      entries.set(current, line);
    } else if (current) {
      entries.set(current, `${entries.get(current)}\n${line}`);
    }
  }
  return entries;
}

const directories = (dir: string) =>
  readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

/** Rules that keep README.md documenting what is, checked so they stay true. */
describe('README', () => {
  it('finds its sections', () => {
    expect(HEADINGS.length).toBeGreaterThan(40);
    expect(section(['Development', 'Scripts']).body).toContain('| command | does |');
  });

  it('Layout names every app, every first-level folder of its src/, and every lib', () => {
    const entries = layoutEntries();
    const missing: string[] = [];
    for (const app of directories('apps')) {
      const entry = entries.get(`apps/${app}/src/`);
      if (entry === undefined) {
        missing.push(`apps/${app}/src/`);
        continue;
      }
      for (const folder of directories(join('apps', app, 'src'))) {
        if (!new RegExp(`(^|[\\s(,])${folder}/`).test(entry)) missing.push(`apps/${app}/src/${folder}/`);
      }
    }
    for (const lib of directories('libs')) {
      if (!entries.has(`libs/${lib}`)) missing.push(`libs/${lib}`);
    }
    expect(missing).toEqual([]);
  });

  it('Scripts names every npm script', () => {
    const table = section(['Development', 'Scripts']).body;
    const scripts = Object.keys(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
        .scripts,
    );
    const named = (script: string) =>
      [`npm run ${script}`, ...(['start', 'test'].includes(script) ? [`npm ${script}`] : [])].some(
        (command) => new RegExp(`\`${command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w:-])`).test(table),
      );
    expect(scripts.filter((script) => !named(script))).toEqual([]);
  });

  it('every "README → A → B" in the code names its headings, each within the one before', () => {
    // This file's own texts are about references, not references.
    const broken = codeFiles()
      .filter((file) => join(ROOT, file) !== __filename)
      .flatMap((file) => {
        const text = unwrapped(file);
        return [...text.matchAll(/README → /g)]
          .map((match) => text.slice(match.index + match[0].length, match.index + match[0].length + 200))
          .filter((reference) => resolve(reference, HEADINGS) === undefined)
          .map((reference) => `${file}: README → ${reference.slice(0, 60)}`);
      });
    expect(broken).toEqual([]);
  });

  it('the reference check reads whole headings, nested in order', () => {
    const names = (text: string) => resolve(text, HEADINGS)?.heading.text;
    expect(names('API → Erasure).')).toBe('Erasure');
    expect(names('Security → Credential URLs): …')).toBe('Credential URLs');
    expect(names('Portal → Security).')).toBe('Security');
    expect(names('Development → Testing')).toBe('Testing');
    expect(names('Ordered delivery */')).toBe('Ordered delivery');
    expect(names('Erasure states.')).toBeUndefined();
    expect(names('API → Recover).')).toBeUndefined();
    expect(names('Operations → Metrics: x')).toBeUndefined();
    expect(names('Erasure → API).')).toBeUndefined();
    expect(names('Portal → Credential URLs).')).toBeUndefined();
  });

  it('every docs/ file the code or README names exists', () => {
    const texts = [...codeFiles().map((file) => readFileSync(join(ROOT, file), 'utf8')), README];
    const named = texts.flatMap((text) =>
      [...text.matchAll(/(?<![\w/.-])docs\/[\w./-]*\w/g)].map((match) => match[0]),
    );
    expect([...new Set(named)].filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('docs/testing.md names every test file', () => {
    const guide = readFileSync(join(ROOT, 'docs', 'testing.md'), 'utf8');
    const tests = ['apps', 'libs', 'test'].flatMap((dir) =>
      readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => /\.(spec|e2e-spec|rel-spec)\.ts$/.test(file) && !file.includes('node_modules'))
        .map((file) => join(dir, file).split('\\').join('/')),
    );
    expect(tests.length).toBeGreaterThan(100);
    expect(tests.filter((file) => !guide.includes(`\`${file}\``))).toEqual([]);
  });

  it('points at no document outside the repository (no "SPEC", no "the seed")', () => {
    const docs = readdirSync(join(ROOT, 'docs'))
      .filter((file) => file.endsWith('.md'))
      .map((file) => join('docs', file));
    const self = join('libs', 'testing', 'src', 'readme.spec.ts');
    const texts = [...codeFiles().filter((file) => file !== self), ...docs, 'README.md'];
    const outside = texts.flatMap((file) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          /\bSPEC\b/.test(line) || /\bthe seed\b/i.test(line) ? [`${file}:${index + 1}`] : [],
        ),
    );
    expect(outside).toEqual([]);
  });
});
