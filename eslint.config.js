// Lint that holds the layers: no `any`, no floating promises, and imports only downward (docs/architecture.md):
// a worker uses shared and itself; the supervisor and the CLI use shared and themselves; shared uses only shared.
import { readdirSync } from 'node:fs';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

const WORKERS = readdirSync(new URL('./workers/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

/** Each layer and what it may import (besides itself). */
const LAYERS = [
  { type: 'shared', pattern: 'shared/src', allow: [] },
  { type: 'supervisor', pattern: 'supervisor/src', allow: ['shared'] },
  { type: 'cli', pattern: 'cli/src', allow: ['shared'] },
  ...WORKERS.map((w) => ({ type: `worker-${w}`, pattern: `workers/${w}/src`, allow: ['shared'] })),
];

/** Workspace packages other than shared, which no layer imports by package name. */
const FORBIDDEN_PACKAGES = ['@raypher/supervisor', '@raypher/cli', '@raypher/worker-*'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'ops/**', 'tests/fixtures/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { project: ['./tsconfig.tests.json'], tsconfigRootDir: import.meta.dirname } },
    plugins: { boundaries },
    settings: {
      'boundaries/elements': LAYERS.map(({ type, pattern }) => ({ type, pattern })),
      'boundaries/include': ['shared/src/**', 'supervisor/src/**', 'cli/src/**', 'workers/*/src/**'],
      'import/resolver': { typescript: { project: './tsconfig.tests.json' } },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: [
            ...LAYERS.map(({ type, allow }) => ({ from: { element: { type } }, allow: { to: { element: { types: { anyOf: [type, ...allow] } } } } })),
          ],
        },
      ],
      'no-restricted-imports': ['error', { patterns: [{ group: FORBIDDEN_PACKAGES, message: 'a layer imports only @raypher/shared and its own files (docs/architecture.md)' }] }],
    },
  },
);
