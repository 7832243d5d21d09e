// The layer rule of eslint.config.js catches what it is for: a file that reaches across a boundary fails lint.
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Without type information (the probe files are not part of a TypeScript project); floating promises are tested below, with it.
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
    ['shared importing the cli', 'shared/src/probe.ts', "import { agentsCommand } from '../../cli/src/commands/agents.js';"],
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

  it.each([
    ['by a relative path', "import { providerName } from '../ipc/protocol/vault.js';"],
    ['by package name', "import { providerName } from '@raypher/shared/ipc';"],
  ])('refuses config importing ipc %s', async (_how, code) => {
    expect(await problems('shared/src/config/probe.ts', `${code}\nexport const x: unknown = providerName;\n`)).toEqual([expect.stringMatching(/^no-restricted-imports: .*config does not import ipc/)]);
  });

  it('allows config to import the shared vocabularies', async () => {
    expect(await problems('shared/src/config/probe.ts', "import { PROVIDER_PATTERN } from '../vocab/index.js';\nexport const x: unknown = PROVIDER_PATTERN;\n")).toEqual([]);
  });
});

describe('the release tool (ops/release/src) is linted', () => {
  it('refuses any', async () => {
    expect(await problems('ops/release/src/probe.ts', 'export const x: any = 1;\n')).toEqual([expect.stringMatching(/^@typescript-eslint\/no-explicit-any:/)]);
  });

  it.each([
    ['a worker other than the updater by name', "import { proxyWorker } from '@raypher/worker-proxy/src/proxy-worker.js';"],
    ['the supervisor by name', "import { startSupervisor } from '@raypher/supervisor/src/boot.js';"],
    ['a worker\'s file by path', "import { RateLimiter } from '../../../workers/proxy/src/rate-limit.js';"],
  ])('refuses %s', async (_what, code) => {
    const found = await problems('ops/release/src/probe.ts', `${code}\nexport const x: unknown = 1;\n`);
    expect(found).toContainEqual(expect.stringMatching(/^no-restricted-imports:/));
    expect(found.filter((m) => !m.startsWith('no-restricted-imports:'))).toEqual([]);
  });

  it('allows shared and the updater\'s package exports', async () => {
    expect(await problems('ops/release/src/probe.ts', "import { RaypherError } from '@raypher/shared/errors';\nimport { writeFileAtomic } from '@raypher/worker-updater/atomic-file';\nexport const x: unknown = [RaypherError, writeFileAtomic];\n")).toEqual([]);
  });
});

describe('floating promises (type-aware, on a file of the TypeScript project)', () => {
  // The full config, type information included: the probe text is linted as if it were this real project file.
  // With CI=true typescript-eslint infers a single run and type-checks the file as it is on disk, not the probe
  // text; the test must see the text, so that inference is turned off here (npm run lint is unaffected).
  const typed = new ESLint({ cwd: root, overrideConfig: { languageOptions: { parserOptions: { disallowAutomaticSingleRunInference: true } } } });
  const FILE = `${root}/supervisor/src/sd-notify.ts`;
  const lint = async (code: string) => ((await typed.lintText(code, { filePath: FILE }))[0]?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
  const later = 'async function later(): Promise<void> {}\n';

  it('refuses a promise that is neither awaited, returned nor voided', async () => {
    expect(await lint(`${later}later();\nexport {};\n`)).toEqual([expect.stringMatching(/^@typescript-eslint\/no-floating-promises:/)]);
  });

  it('allows one that is voided or awaited', async () => {
    expect(await lint(`${later}void later();\nexport async function run(): Promise<void> {\n  await later();\n}\n`)).toEqual([]);
  });
});
