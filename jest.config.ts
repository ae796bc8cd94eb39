import type { Config } from 'jest';

const shared = {
  rootDir: '.',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  // Transpile only: `npm run build` and lint do the type checking; this keeps tests fast.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json' }] },
  moduleNameMapper: { '^@app/(.*)$': '<rootDir>/libs/$1/src' },
} satisfies Config;

const config: Config = {
  testTimeout: 30_000,
  // Spec files run one after another in a worker process that is replaced once it holds more than this
  // after a file: in one long-lived process the heap of ninety pipelines grows past 2 GB, and its GC
  // pauses show up as latency in the timing-sensitive specs (fair delivery).
  workerIdleMemoryLimit: '700MB',
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/apps/*/src/**/*.spec.ts', '<rootDir>/libs/*/src/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      // apps/<app>/test: one app; test/pipeline: the API and the worker together.
      testMatch: ['<rootDir>/apps/*/test/**/*.e2e-spec.ts', '<rootDir>/test/pipeline/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/jest-global-teardown.ts',
    },
    {
      // npm run test:reliability (about 2.5 minutes; .ci/run runs it after npm test, on its own).
      ...shared,
      displayName: 'reliability',
      testMatch: ['<rootDir>/test/reliability/*.rel-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/jest-global-teardown.ts',
    },
  ],
};

export default config;
