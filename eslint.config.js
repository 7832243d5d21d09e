// Lint that holds the layers: no `any`, no floating promises, and imports only downward (docs/architecture.md):
// a worker uses shared and itself; the supervisor and the CLI use shared and themselves; shared uses only shared,
// and its config not ipc. The release tool (ops/release/src) is held to the same rules and uses shared and the
// updater's package exports only. Type information comes from tsconfig.tests.json, which includes every linted file.
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
const LAYER_MESSAGE = 'a layer imports only @raypher/shared and its own files (docs/architecture.md)';

export default tseslint.config(
  // Of ops/, only the release tool's TypeScript is linted (the bench scripts are plain .mjs).
  { ignores: ['**/dist/**', '**/node_modules/**', 'ops/*', '!ops/release', 'ops/release/*', '!ops/release/src', 'tests/fixtures/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
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
      'no-restricted-imports': ['error', { patterns: [{ group: FORBIDDEN_PACKAGES, message: LAYER_MESSAGE }] }],
    },
  },
  {
    // Config is read by every layer, ipc included: it must not depend on ipc (shared vocabularies live in shared/src/vocab).
    files: ['shared/src/config/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: FORBIDDEN_PACKAGES, message: LAYER_MESSAGE },
            { group: ['@raypher/shared/ipc', '**/ipc', '**/ipc/**'], message: 'config does not import ipc; move a shared vocabulary to shared/src/vocab (docs/architecture.md)' },
          ],
        },
      ],
    },
  },
  {
    // The release tool writes what the updater reads: it uses the updater's published entry points and shared, nothing else.
    files: ['ops/release/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: [...FORBIDDEN_PACKAGES, '!@raypher/worker-updater'], message: 'the release tool imports only @raypher/shared and the updater\'s package exports (docs/architecture.md)' },
            { group: ['**/supervisor/src/**', '**/cli/src/**', '**/workers/**'], message: 'the release tool reaches other packages through their package names, not their files' },
          ],
        },
      ],
    },
  },
);
