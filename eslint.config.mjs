// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Which libs each lib may import: dependencies point one way (no cycles), and libs never import apps.
 * A new lib, or a new edge, is a decision made here.
 */
const LIB_DEPENDENCIES = {
  batching: [],
  budget: ['config', 'queue'],
  config: [],
  health: [],
  http: [],
  logging: ['netguard'],
  netguard: [],
  signing: [],
  slack: ['events'],
  queue: ['netguard'],
  text: [],
  events: ['queue', 'text'],
  database: ['config', 'netguard', 'signing', 'text'],
  outbox: ['batching', 'config', 'database', 'events', 'netguard', 'queue', 'signing'],
  testing: ['config', 'database', 'events', 'netguard', 'outbox', 'queue', 'signing'],
};
const libBoundaries = Object.entries(LIB_DEPENDENCIES).map(([lib, allowed]) => ({
  files: [`libs/${lib}/src/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: Object.keys(LIB_DEPENDENCIES)
              .filter((other) => other !== lib && !allowed.includes(other))
              .map((other) => `@app/${other}`),
            message: `libs/${lib} may import only ${allowed.length ? allowed.map((a) => `@app/${a}`).join(', ') : 'no other lib'} (see LIB_DEPENDENCIES)`,
          },
          { group: ['**/apps/**'], message: 'libs never import apps' },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'eslint.config.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.jest },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  ...libBoundaries,
  {
    // Tests poke at JSON bodies; typing every supertest response would add noise, not safety.
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/*.rel-spec.ts', 'libs/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Stubs stand in for async collaborators; an await they do not need would be noise.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The portal's pages: plain browser modules, copied into the build as they are, and never HTML built
    // from strings (README → Portal).
    files: ['apps/api/src/portal/assets/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: 'module',
      globals: globals.browser,
      parserOptions: { projectService: false, project: null },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-restricted-properties': [
        'error',
        ...['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'write', 'writeln'].map((property) => ({
          property,
          message: 'Build DOM with h()/textContent: data must never become markup.',
        })),
      ],
    },
  },
);
