// The layer rule of eslint.config.js catches what it is for: a file that reaches across a boundary fails lint.
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Only the import rules, without type information (the probe files are not part of a TypeScript project).
const eslint = new ESLint({
  cwd: root,
  overrideConfig: { languageOptions: { parserOptions: { project: null } }, rules: { '@typescript-eslint/no-floating-promises': 'off' } },
});

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${file}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layer boundaries (npm run lint)', () => {
  it.each([
    ['a worker importing another worker', 'workers/scanner/src/probe.ts', "import { RateLimiter } from '../../proxy/src/rate-limit.js';"],
    ['a worker importing the supervisor', 'workers/vault/src/probe.ts', "import { buildRoutes } from '../../../supervisor/src/routes.js';"],
    ['shared importing the supervisor', 'shared/src/probe.ts', "import { buildRoutes } from '../../supervisor/src/routes.js';"],
    ['shared importing a worker', 'shared/src/ipc/probe.ts', "import { RateLimiter } from '../../../workers/proxy/src/rate-limit.js';"],
    ['the cli importing a worker', 'cli/src/probe.ts', "import { RateLimiter } from '../../workers/proxy/src/rate-limit.js';"],
    ['the cli importing the supervisor', 'cli/src/probe.ts', "import { buildRoutes } from '../../supervisor/src/routes.js';"],
  ])('refuses %s', async (_what, file, code) => {
    expect(await problems(file, `${code}\nexport const x: unknown = 1;\n`)).toEqual([expect.stringMatching(/^boundaries\/dependencies: There is no policy allowing/)]);
  });

  it('refuses a worker package imported by name', async () => {
    const found = await problems('cli/src/probe.ts', "import { proxyWorker } from '@raypher/worker-proxy/src/proxy-worker.js';\nexport const x: unknown = proxyWorker;\n");
    expect(found).toContainEqual(expect.stringMatching(/^no-restricted-imports:/));
  });

  it('allows shared and a layer\'s own files', async () => {
    expect(await problems('workers/proxy/src/probe.ts', "import { RaypherError } from '@raypher/shared/errors';\nimport { RateLimiter } from './rate-limit.js';\nexport const x: unknown = [RaypherError, RateLimiter];\n")).toEqual([]);
  });

  it('refuses any', async () => {
    expect(await problems('shared/src/probe.ts', 'export const x: any = 1;\n')).toEqual([expect.stringMatching(/^@typescript-eslint\/no-explicit-any:/)]);
  });
});
