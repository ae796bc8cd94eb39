import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * EventPublisher is documented as usable from any Node service without Nest: requiring the built
 * lib in a plain Node process must load neither Nest nor TypeORM (nor a database driver).
 */
describe('libs/events in a plain Node process', () => {
  const built = join(__dirname, '..', '..', '..', 'dist', 'libs', 'events', 'src', 'index.js');

  (existsSync(built) ? it : it.skip)('loads EventPublisher without @nestjs, typeorm or pg', () => {
    const script = `
      require(${JSON.stringify(built)});
      const loaded = Object.keys(require.cache);
      const heavy = loaded.filter((file) => /node_modules[\\\\/](@nestjs|typeorm|pg)[\\\\/]/.test(file));
      const publisher = new (require(${JSON.stringify(built)}).EventPublisher)({ redisUrl: 'redis://127.0.0.1:1' });
      process.stdout.write(JSON.stringify({ heavy, hasPublish: typeof publisher.publish }));
      void publisher.close();
    `;
    // The built file resolves `@app/*` through the paths the build wrote; run it from the repository.
    const output = execFileSync(process.execPath, ['-e', script], {
      cwd: join(__dirname, '..', '..', '..'),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(JSON.parse(output)).toEqual({ heavy: [], hasPublish: 'function' });
  });
});
