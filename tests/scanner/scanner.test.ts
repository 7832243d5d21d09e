// The scanner against real processes: fake agents with a canary key in their environment, a direct connection to a
// stand-in provider address, the terminator and its protected set, and panic with panic_action = "suspend".
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { AgentInfo, FindingInfo, StatusResult } from '@raypher/shared/ipc';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { ctl, Daemon, killAll, makeHome, mergeConfig, renderToml, TEST_CONFIG, waitFor, type ConfigTables } from '../helpers/daemon.js';
import { canary, filesContaining, seal } from '../vault/helpers.js';
import { ctlError, ctlJson, FIXTURES, outputs, procState, PYTHON, startProcess, stopProcesses } from './helpers.js';

const SLOW = 120_000;

let stand: Server;
const held: Socket[] = [];
let home: string;
let config: ConfigTables;
let d: Daemon;
const key = canary();
/** Keys of configured [[proxy.providers]] (no built-in shape): found by the variable named for the provider. */
const mistralKey = `mk${randomBytes(16).toString('hex')}`;
const acmeKey = `ak${randomBytes(16).toString('hex')}`;
const provider = (name: string) => `\n[[proxy.providers]]\nname = "${name}"\nbase_url = "http://127.0.0.1:9/${name}"\npath_prefix = "/${name}"\nauth_header = "Authorization: Bearer {key}"\n`;
/** config.toml: the tables, plus the providers named (renderToml writes no array of tables). */
const writeConfig = (tables: ConfigTables, providers: string[] = ['mistral']) => writeFileSync(join(home, 'config.toml'), renderToml(tables) + providers.map(provider).join(''));

beforeAll(async () => {
  // The stand-in provider: a local listener whose address and port the config names as a provider's.
  stand = createServer((s) => held.push(s));
  await new Promise<void>((r) => stand.listen(0, '127.0.0.1', r));
  const port = (stand.address() as { port: number }).port;
  config = {
    vault: { protector: 'host' },
    watchtower: { scan_interval_secs: 1, provider_hosts: '', provider_addresses: '127.0.0.1/32', bypass_ports: String(port), panic_action: 'suspend', protected: 'protected-sleeper' },
  };
  home = makeHome(config);
  writeConfig(mergeConfig(TEST_CONFIG, config));
  d = await Daemon.start(home);
  const sealed = await seal(home, 'openai', key);
  outputs.push(sealed.stdout, sealed.stderr);
  expect(sealed.code).toBe(0);
});

afterAll(async () => {
  stopProcesses();
  for (const s of held) s.destroy();
  stand.close();
  await d.stop();
  await killAll();
});

const cmdline = (pid: number): string[] => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
};
const agents = () => ctlJson<AgentInfo[]>(home, ['agents']);
const findings = (all = false) => ctlJson<FindingInfo[]>(home, all ? ['findings', '--all'] : ['findings']);

describe('scanner', () => {
  let aider: number;
  let script: number;
  let viaProxy: number;

  it('lists a fake aider and a python script importing openai, with reasons, and finds the key in their environment', async () => {
    const port = String((stand.address() as { port: number }).port);
    aider = startProcess('sleep', ['600'], { argv0: 'aider', env: { OPENAI_API_KEY: key } }).pid ?? 0;
    const scriptPath = join(FIXTURES, 'agent.py');
    script = startProcess(PYTHON, [scriptPath, port], { env: { OPENAI_API_KEY: key } }).pid ?? 0;

    // Both have executed their programs; then two passes (on demand, serialized with the timer's) must list them.
    await waitFor(async () => cmdline(aider)[0] === 'aider' && cmdline(script)[1] === scriptPath, 10_000, 'the fake agents executed');
    await ctlJson(home, ['scan']);
    await ctlJson(home, ['scan']);
    const listed = await agents();
    const fake = listed.find((x) => x.pid === aider);
    expect(fake).toMatchObject({ signature: 'aider', name: 'Aider', allowListed: false, viaProxy: false });
    expect(fake?.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/argv\[0\] is 'aider'/), expect.stringMatching(/OPENAI_API_KEY holds a openai key \(fp:/)]));
    const py = listed.find((x) => x.pid === script);
    expect(py?.signature).toBe('framework:openai');
    expect(py?.reasons).toEqual(expect.arrayContaining([expect.stringContaining(`python script ${scriptPath} imports OpenAI SDK`)]));

    const [secret] = await ctlJson<Array<{ fingerprint: string }>>(home, ['secrets']);
    const exposed = await waitFor(async () => {
      const f = (await findings()).filter((x) => x.kind === 'key.exposed');
      return f.some((x) => x.pid === aider) && f.some((x) => x.pid === script) ? f : undefined;
    }, 30_000, 'key.exposed findings');
    for (const f of exposed.filter((x) => x.pid === aider || x.pid === script)) {
      expect(f.fingerprint).toBe(secret?.fingerprint);
      expect(JSON.parse(f.detail)).toEqual({ variable: 'OPENAI_API_KEY', provider: 'openai', sealed: true, sealed_provider: 'openai' });
      expect(f.risk).toBe('critical');
    }
  }, SLOW);

  it('reports a direct connection to the stand-in provider as proxy.bypass, and not an allow-listed agent on the proxy', async () => {
    const status = await ctlJson<StatusResult>(home, ['status']);
    const proxyPort = /:(\d+)$/.exec(status.proxyAddress.split(',')[0] ?? '')?.[1] ?? '0';
    const entry = join(FIXTURES, 'agent-via-proxy.mjs');
    const added = await ctl(home, ['allow', '--exe-path', process.execPath, '--script', entry, '--json']);
    outputs.push(added.stdout, added.stderr);
    expect(added.code).toBe(0);
    viaProxy = startProcess(process.execPath, [entry, proxyPort]).pid ?? 0;

    const bypass = await waitFor(async () => (await findings()).find((f) => f.kind === 'proxy.bypass' && f.pid === script), 30_000, 'proxy.bypass for the script');
    expect(JSON.parse(bypass.detail)).toEqual({ remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    const listed = await waitFor(async () => (await agents()).find((a) => a.pid === viaProxy), 30_000, 'the allow-listed agent listed');
    expect(listed.allowListed).toBe(true);
    await ctlJson(home, ['scan']);
    expect((await findings()).filter((f) => f.pid === viaProxy)).toEqual([]);

    // The same executable running a script the entry does not name (same content, another path) is not allow-listed.
    const other = join(home, 'other-agent.mjs');
    writeFileSync(other, readFileSync(entry));
    const unlistedScript = startProcess(process.execPath, [other, proxyPort]).pid ?? 0;
    const seen = await waitFor(async () => (await agents()).find((a) => a.pid === unlistedScript), 30_000, 'the agent with another script listed');
    expect(seen.allowListed).toBe(false);
    process.kill(unlistedScript, 'SIGKILL');
  }, SLOW);

  it('reports an agent the proxy refused as not listed (agent.unlisted), and applies action_medium = "suspend" to it', async () => {
    const status = await ctlJson<StatusResult>(home, ['status']);
    const proxyPort = /:(\d+)$/.exec(status.proxyAddress.split(',')[0] ?? '')?.[1] ?? '0';
    const unlisted = startProcess(PYTHON, [join(FIXTURES, 'agent-unlisted.py'), proxyPort]).pid ?? 0;
    const f = await waitFor(async () => (await findings()).find((x) => x.kind === 'agent.unlisted' && x.pid === unlisted), 30_000, 'agent.unlisted');
    expect(f.risk).toBe('medium');
    expect((await agents()).find((a) => a.pid === unlisted)?.reasons).toContain('refused by the proxy: not on the allow list');
    expect(procState(unlisted)).not.toBe('T');

    writeConfig(mergeConfig(TEST_CONFIG, config, { watchtower: { action_medium: 'suspend' } }));
    outputs.push((await ctl(home, ['reload'])).stdout);
    await waitFor(async () => procState(unlisted) === 'T', 30_000, 'the medium-risk agent suspended by policy');
    // The critical ones stay: their action is still the default, alert.
    expect([procState(aider), procState(script)]).toEqual(['S', 'S']);
    writeConfig(mergeConfig(TEST_CONFIG, config));
    outputs.push((await ctl(home, ['reload'])).stdout);
    process.kill(unlisted, 'SIGKILL');
  }, SLOW);

  it('suspends, resumes and kills a fake agent, and refuses every protected process', async () => {
    const victim = startProcess('sleep', ['600'], { argv0: 'aider' }).pid ?? 0;
    await waitFor(async () => (await agents()).some((a) => a.pid === victim), 30_000, 'victim listed');
    expect(await ctlJson(home, ['suspend', String(victim)])).toEqual({ pid: victim, name: 'aider', action: 'suspended' });
    await waitFor(async () => procState(victim) === 'T', 10_000, 'victim stopped');
    await ctlJson(home, ['resume', String(victim)]);
    await waitFor(async () => procState(victim) !== 'T', 10_000, 'victim running');
    await ctlJson(home, ['kill', String(victim)]);
    await waitFor(async () => procState(victim) === null || procState(victim) === 'Z', 10_000, 'victim killed');

    const status = await ctlJson<StatusResult>(home, ['status']);
    const listed = startProcess('sleep', ['600'], { argv0: 'protected-sleeper' }).pid ?? 0;
    const protectedPids: Array<[string, number]> = [
      ['pid 1', 1],
      ['a kernel thread', 2],
      ['the supervisor', d.pid],
      ...status.workers.map((w): [string, number] => [`the ${w.name} worker`, w.pid ?? 1]),
      ["the caller's shell (this test runner)", process.pid],
      ['the configured protected list', listed],
    ];
    for (const [, pid] of protectedPids) {
      for (const action of ['kill', 'suspend']) expect([action, pid, await ctlError(home, [action, String(pid)])]).toEqual([action, pid, 'ERR_SCANNER_PROTECTED']);
    }
    expect(procState(listed)).not.toBe('T');
    expect(await ctlError(home, ['kill', '999999999'])).toBe('ERR_SCANNER_NO_PROCESS');
  }, SLOW);

  it('panic with panic_action = "suspend" stops the fake agents, and release resumes them', async () => {
    outputs.push((await ctl(home, ['panic', '--reason', 'test'])).stdout);
    await waitFor(async () => procState(aider) === 'T' && procState(script) === 'T', 30_000, 'agents stopped by panic');
    outputs.push((await ctl(home, ['panic', 'release'])).stdout);
    await waitFor(async () => procState(aider) === 'S' && procState(script) === 'S', 30_000, 'agents resumed after panic');
  }, SLOW);

  it('finds the key of a configured [[proxy.providers]] in an environment, and of one added by a reload', async () => {
    const mistral = startProcess('sleep', ['600'], { argv0: 'aider', env: { MISTRAL_API_KEY: mistralKey } }).pid ?? 0;
    const found = await waitFor(async () => (await findings()).find((f) => f.kind === 'key.exposed' && f.pid === mistral), 30_000, 'key.exposed for the mistral key');
    expect(JSON.parse(found.detail)).toMatchObject({ variable: 'MISTRAL_API_KEY', provider: 'mistral', sealed: false });
    // Not a provider yet: ACME_API_KEY is just a variable.
    const early = startProcess('sleep', ['600'], { argv0: 'aider', env: { ACME_API_KEY: acmeKey } }).pid ?? 0;
    await ctlJson(home, ['scan']);
    expect((await findings()).filter((f) => f.pid === early)).toEqual([]);
    writeConfig(mergeConfig(TEST_CONFIG, config), ['mistral', 'acme']);
    outputs.push((await ctl(home, ['reload'])).stdout);
    // The reload reaches the scanner, which reads the environments it had already read again.
    const reported = await waitFor(async () => (await findings()).find((f) => f.kind === 'key.exposed' && f.pid === early), 30_000, 'key.exposed for the acme key after the reload');
    expect(JSON.parse(reported.detail)).toMatchObject({ variable: 'ACME_API_KEY', provider: 'acme' });
    for (const k of [mistralKey, acmeKey]) {
      expect(filesContaining(home, k)).toEqual([]);
      expect(outputs.filter((o) => o.includes(k))).toEqual([]);
    }
    for (const pid of [mistral, early]) process.kill(pid, 'SIGKILL');
  }, SLOW);

  it('resolves findings when their cause is gone, and the canary is in no file, log or output', async () => {
    stopProcesses();
    await waitFor(async () => {
      const all = await findings(true);
      return all.filter((f) => f.pid === aider || f.pid === script).every((f) => f.state === 'resolved') ? all : undefined;
    }, 30_000, 'findings resolved');
    const h = await ctl(home, ['health', '--json']);
    outputs.push(h.stdout, h.stderr);
    const health = JSON.parse(h.stdout) as { watchtower: Record<string, unknown> };
    expect(health.watchtower).toEqual({ scan_interval_secs: 1, scan_cycles: expect.any(Number), avg_scan_ms: expect.any(Number), last_scan: expect.any(String), active_threats: expect.any(Number), connections: 'sock_diag' });
    expect(health.watchtower.scan_cycles).toBeGreaterThan(2);
    expect(filesContaining(home, key)).toEqual([]);
    expect(outputs.filter((o) => o.includes(key))).toEqual([]);
    expect((d.stdout + d.stderr).includes(key)).toBe(false);
  }, SLOW);
});
