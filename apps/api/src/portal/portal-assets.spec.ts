import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The portal's pages are safe by construction (README → Portal): values are put in the DOM as text,
 * never parsed as HTML, and the pages work under a CSP without inline script or style and load nothing
 * from elsewhere. These checks keep it so; eslint forbids the same sinks in the modules.
 */
const ASSETS = join(__dirname, 'assets');
const files = readdirSync(ASSETS).filter((name) => /\.(js|html|css)$/.test(name));
const read = (name: string) => readFileSync(join(ASSETS, name), 'utf8');
const scripts = files.filter((name) => name.endsWith('.js'));

describe('portal assets', () => {
  it('has the entry page, its stylesheet and its module', () => {
    expect(files).toEqual(expect.arrayContaining(['index.html', 'app.js']));
    const html = read('index.html');
    const referenced = [...html.matchAll(/(?:src|href)="\/portal\/([^"]+)"/g)].map((match) => match[1]);
    expect(referenced.length).toBeGreaterThanOrEqual(2);
    for (const name of referenced) expect(existsSync(join(ASSETS, name))).toBe(true);
  });

  it.each(scripts)('%s turns no string into HTML or code', (name) => {
    const source = read(name);
    for (const sink of [
      /\.innerHTML\b/,
      /\.outerHTML\b/,
      /insertAdjacentHTML/,
      /document\.write/,
      /\beval\s*\(/,
      /new\s+Function\b/,
      /set(?:Timeout|Interval)\(\s*['"`]/,
      /createContextualFragment/,
      /DOMParser/,
      /srcdoc/,
      /javascript:/i,
    ]) {
      expect({ name, sink: String(sink), found: sink.test(source) }).toEqual({
        name,
        sink: String(sink),
        found: false,
      });
    }
  });

  it.each(scripts)('%s imports only modules that exist', (name) => {
    for (const [, target] of read(name).matchAll(/from '\.\/([^']+)'/g)) {
      expect({ name, target, exists: existsSync(join(ASSETS, target)) }).toEqual({
        name,
        target,
        exists: true,
      });
    }
  });

  it('index.html has no inline script, style or event handler', () => {
    const html = read('index.html');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  });

  it.each(files)('%s loads nothing from the internet', (name) => {
    // The SVG namespace is a name, not a download.
    const urls = (read(name).match(/\b(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'")]*/gi) ?? []).filter(
      (url) => url !== 'http://www.w3.org/2000/svg',
    );
    expect(urls.filter((url) => !/example\.(com|org)/.test(url))).toEqual([]);
    expect(read(name)).not.toMatch(/@import|url\(\s*['"]?(?:https?:)?\/\//i);
  });
});
