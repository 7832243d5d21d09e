// Caller identity under attack (docs/security.md): each class of the attacker's test kit, as a real attacking
// process against a real proxy and a real upstream that records the Authorization it receives.
import { appendFileSync, chmodSync, chownSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { auditEvents, ctl, run, waitFor } from '../helpers/daemon.js';
import { AGENT, allow, FETCH_ONCE, keyUses, NODE, PY_AGENT, script, startProxy, statusOf, upstreamPerTest } from './harness.js';
import type { Upstream } from './upstream.js';

let upstream: Upstream;
upstreamPerTest((u) => (upstream = u));

/** Re-verification after 200 ms keeps the hand-over tests short; the default is 1 s. */
const CFG = { identity_max_age_ms: 200 };
const PYTHON = realpathSync('/usr/bin/python3');
const deniedReasons = async (home: string) => (await auditEvents(home, 'proxy.denied')).map((e) => e.data.reason);
/** The denial reasons once `n` rows are written (audit rows are written in batches); a timeout names the rows it saw. */
async function reasonsOf(home: string, n: number, timeoutMs = 30_000): Promise<unknown[]> {
  try {
    // identification of a burst queues on a loaded machine: wait, never pass early
    return await waitFor(async () => {
      const r = await deniedReasons(home);
      return r.length >= n ? r : undefined;
    }, timeoutMs, `${n} proxy.denied rows`);
  } catch (err) {
    const seen = (await auditEvents(home)).map((e) => `${e.type}:${String(e.data.reason ?? '')}`);
    throw new Error(`${(err as Error).message}; the audit holds ${seen.length} rows: ${seen.join(', ')}`);
  }
}

describe('caller identity under attack', () => {
  it('1. a copy or a hard link of the allowed interpreter, under another name, gets no key: inline code or the allowed script', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const dir = mkdtempSync(join(tmpdir(), 'raypher-bin-'));
    const myNode = join(dir, 'node');
    copyFileSync(NODE, myNode);
    chmodSync(myNode, 0o755);
    const agent = script('agent.mjs', AGENT);
    expect((await allow(home, ['--exe-path', myNode, '--script', agent])).code).toBe(0);
    expect(await statusOf(myNode, [agent, `${base}/v1/models`])).toBe('200');
    const copy = join(dir, 'not-node');
    copyFileSync(NODE, copy);
    chmodSync(copy, 0o755);
    const hardLink = join(dir, 'also-not-node');
    linkSync(myNode, hardLink);
    const before = keyUses(upstream, key);
    for (const exe of [copy, hardLink]) {
      expect(await statusOf(exe, ['-e', FETCH_ONCE(`${base}/v1/models`)])).toBe('403');
      expect(await statusOf(exe, [agent, `${base}/v1/models`])).toBe('403');
    }
    expect(keyUses(upstream, key)).toBe(before);
    expect(await reasonsOf(home, 4)).toEqual(['not_listed', 'not_listed', 'not_listed', 'not_listed']);
    await d.stop();
  });

  it('2. the script is what was executed: option values, loaders, --env-file, -pe, a later chdir, and a rewritten argv get no key', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const agent = script('agent.mjs', AGENT);
    const url = `${base}/v1/models`;
    expect((await allow(home, ['--exe-path', NODE, '--script', agent])).code).toBe(0);
    expect(await statusOf(NODE, [agent, url])).toBe('200');
    const evil = script('evil.cjs', 'globalThis.injected = true;\n');
    const envFile = script('env', `NODE_OPTIONS=--require ${evil}\n`);
    const before = keyUses(upstream, key);
    const attacks: string[][] = [
      ['--require', evil, agent, url],
      ['--import', evil, agent, url],
      ['--loader', evil, agent, url],
      ['--experimental-loader', evil, agent, url],
      [`--env-file=${envFile}`, agent, url],
      ['--title', agent, '-e', FETCH_ONCE(url)], // the old parser took the option's value for the script
      ['-pe', FETCH_ONCE(url)],
      ['--inspect=127.0.0.1:0', agent, url],
    ];
    for (const args of attacks) expect([args[0], await statusOf(NODE, args)]).toEqual([args[0], '403']);
    expect(keyUses(upstream, key)).toBe(before);

    // Started in a directory where agent.mjs is another file, then chdir to the allowed one: cwd is taken at exec.
    const elsewhere = script('agent.mjs', `process.chdir(${JSON.stringify(dirname(agent))});\n${AGENT}`);
    expect(await statusOf(NODE, ['agent.mjs', url], { cwd: dirname(elsewhere) })).toBe('403');

    // Python rewrites its own argv in memory (/proc/self/mem) to the allowed command line before it calls.
    const pyAgent = script('agent.py', PY_AGENT);
    expect((await allow(home, ['--exe-path', PYTHON, '--script', pyAgent])).code).toBe(0);
    expect(await statusOf(PYTHON, [pyAgent, url])).toBe('200');
    const beforeRewrite = keyUses(upstream, key);
    const rewriter = script(
      'rewriter.py',
      `import sys
stat = open('/proc/self/stat').read().rsplit(')', 1)[1].split()
start, end = int(stat[45]), int(stat[46])
fake = ('${PYTHON}\\0${pyAgent}\\0' + sys.argv[1] + '\\0').encode()
with open('/proc/self/mem', 'r+b') as mem:
    mem.seek(start)
    mem.write(fake + b'\\0' * (end - start - len(fake)))
assert open('/proc/self/cmdline', 'rb').read().startswith(fake), 'argv was not rewritten'
sys.argv = [sys.argv[0], sys.argv[1]]
${PY_AGENT}`,
    );
    const rewritten = await run(PYTHON, [rewriter, url, 'x'.repeat(400)]);
    expect([rewritten.stdout.trim(), rewritten.stderr]).toEqual(['403', '']);
    expect(keyUses(upstream, key)).toBe(beforeRewrite);
    const reasons = await reasonsOf(home, attacks.length + 2);
    // --env-file is refused as an option before its file could be read; --inspect's inspector is found listening
    // (second round, 14) before the option is read; the chdir and the rewritten argv run another script.
    expect(reasons).toEqual(['option_denied', 'option_denied', 'option_denied', 'option_denied', 'option_denied', 'inline_code', 'inline_code', 'debugger_open', 'script_not_allowed', 'script_not_allowed']);
    await d.stop();
  });

  it('3. code injected through the environment gets no key; a harmless NODE_OPTIONS still works', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const agent = script('agent.mjs', AGENT);
    const pyAgent = script('agent.py', PY_AGENT);
    const url = `${base}/v1/models`;
    await allow(home, ['--exe-path', NODE, '--script', agent]);
    await allow(home, ['--exe-path', PYTHON, '--script', pyAgent]);
    const evil = script('evil.cjs', 'globalThis.injected = true;\n');
    const before = keyUses(upstream, key);
    const env = (extra: Record<string, string>) => ({ env: { PATH: process.env.PATH ?? '/usr/bin', ...extra } });
    expect(await statusOf(NODE, [agent, url], env({ NODE_OPTIONS: `--require ${evil}` }))).toBe('403');
    expect(await statusOf(NODE, [agent, url], env({ NODE_OPTIONS: `--import=${evil}` }))).toBe('403');
    expect(await statusOf(NODE, [agent, url], env({ LD_PRELOAD: '/nonexistent/evil.so' }))).toBe('403');
    expect(await statusOf(NODE, [agent, url], env({ NODE_PATH: dirname(evil) }))).toBe('403');
    expect(await statusOf(PYTHON, [pyAgent, url], env({ PYTHONPATH: dirname(evil) }))).toBe('403');
    expect(await statusOf(PYTHON, [pyAgent, url], env({ PYTHONSTARTUP: evil }))).toBe('403');
    expect(keyUses(upstream, key)).toBe(before);
    expect(await statusOf(NODE, [agent, url], env({ NODE_OPTIONS: '--max-old-space-size=256 --no-warnings' }))).toBe('200');
    expect(await reasonsOf(home, 6)).toEqual(Array(6).fill('env_injection'));
    const rows = await auditEvents(home, 'proxy.denied');
    expect(rows.map((r) => String(r.data.detail))).toEqual(expect.arrayContaining([expect.stringContaining('LD_PRELOAD'), expect.stringContaining('PYTHONPATH')]));
    await d.stop();
  });

  it('4. exec after connect: a shell connects, writes the request, then execs the allowed program; no key, every try', async () => {
    const { home, d, key, port } = await startProxy(upstream, CFG);
    // The allowed program holds the connection until the test ends: its denial must be for what it did, never
    // no_process because a loaded machine identified it after it had exited.
    const holder = script('holder.mjs', 'setInterval(() => {}, 1000);\n');
    await allow(home, ['--exe-path', NODE, '--script', holder]);
    const before = keyUses(upstream, key);
    const TRIES = 10;
    const request = 'POST /v1/chat/completions HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Bearer dummy\\r\\nContent-Length: 2\\r\\n\\r\\n{}';
    const attackers = Array.from({ length: TRIES }, () =>
      spawn('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}; printf '${request}' >&3; exec ${NODE} ${holder}`], { stdio: 'ignore' }),
    );
    try {
      // node marks inherited descriptors close-on-exec at start-up: the exec record's snapshot names the socket
      // inherited when it was read first, a record read late leaves it to the exec-after-connect check, and a record
      // not read yet on a loaded machine fails closed too.
      const reasons = await reasonsOf(home, TRIES, 90_000);
      expect(reasons).toHaveLength(TRIES);
      for (const reason of reasons) expect(['inherited_socket', 'exec_after_connect', 'no_exec_record']).toContain(reason);
      expect(keyUses(upstream, key)).toBe(before);
    } finally {
      for (const a of attackers) a.kill('SIGKILL');
    }
    await d.stop();
  }, 150_000);

  it('5. a connection handed to another process (inherited, or sent over SCM_RIGHTS) stops working for it within identity_max_age_ms', async () => {
    const { home, d, key, port } = await startProxy(upstream, CFG);
    const request = script('request.http', 'GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dummy\r\n\r\n');
    // The allowed agent makes one request on a raw keep-alive connection, then gives the socket away.
    const giver = script(
      'giver.mjs',
      `import net from 'node:net';
import { readFileSync } from 'node:fs';
import { fork, spawn } from 'node:child_process';
const [port, how, taker, request, reader] = process.argv.slice(2);
const sock = net.connect(Number(port), '127.0.0.1');
sock.write(readFileSync(request));
sock.once('data', (first) => {
  sock.pause();
  const firstStatus = first.toString().slice(9, 12);
  const child = how === 'inherit'
    ? spawn('bash', ['-c', 'sleep 0.5; cat "$0" >&3; python3 "$1"', request, reader], { stdio: ['ignore', 'pipe', 'inherit', sock] })
    : fork(taker, [request], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  if (how === 'inherit') sock.destroy(); // the child's copy is now the only one: nothing here reads its answer
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  // What the new holder read back: the answer to its own request (after any rest of the first answer).
  child.on('exit', () => { console.log(JSON.stringify([firstStatus, /HTTP\\/1\\.1 (\\d+)[^]*$/.exec(out)?.[1] ?? out])); process.exit(0); });
  if (how !== 'inherit') child.send('socket', sock);
});
`,
    );
    // The inherited descriptor shares node's O_NONBLOCK file description: cat would fail with EAGAIN, so read with select.
    const reader = script('reader.py', 'import os, select, sys\nbuf = b""\nwhile select.select([3], [], [], 2)[0]:\n    chunk = os.read(3, 65536)\n    if not chunk:\n        break\n    buf += chunk\nsys.stdout.write(buf.decode())\n');
    const taker = script(
      'taker.mjs',
      `import { readFileSync } from 'node:fs';
process.on('message', (m, sock) => {
  setTimeout(() => {
    let got = '';
    sock.on('data', (d) => (got += d));
    sock.write(readFileSync(process.argv[2]));
    sock.resume();
    setTimeout(() => { console.log(got); process.exit(0); }, 1500);
  }, 500);
});
`,
    );
    await allow(home, ['--exe-path', NODE, '--script', giver]);
    const before = keyUses(upstream, key);
    for (const how of ['inherit', 'scm_rights']) {
      const r = await run(NODE, [giver, String(port), how, taker, request, reader]);
      expect([how, JSON.parse(r.stdout)]).toEqual([how, ['200', '403']]);
    }
    expect(keyUses(upstream, key)).toBe(before + 2); // only the giver's own first requests
    // bash is not on the list; the forked node taker runs the allowed interpreter but started after the connection.
    expect(await reasonsOf(home, 2)).toEqual(['not_listed', 'exec_after_connect']);
    await d.stop();
  });

  it('6. an entry is bound to the operator’s uid: another user running the same script gets no key; --uid any must be explicit and is reported', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const agent = script('agent.mjs', AGENT);
    const url = `${base}/v1/models`;
    const added = await allow(home, ['--exe-path', NODE, '--script', agent, '--json']);
    // The only warning: the script sits below /tmp, where any user may add a node_modules (test 17 of the second round).
    expect(JSON.parse(added.stdout)).toMatchObject({ uid: 0, warnings: [expect.stringContaining('node_modules')] });
    const asNobody = { uid: 65534, gid: 65534, cwd: '/' };
    const before = keyUses(upstream, key);
    expect(await statusOf(NODE, [agent, url], asNobody)).toBe('403');
    expect(keyUses(upstream, key)).toBe(before);
    expect(await reasonsOf(home, 1)).toEqual(['wrong_uid']);

    const anyUid = JSON.parse((await allow(home, ['--exe-path', NODE, '--script', agent, '--uid', 'any', '--json'])).stdout);
    expect(anyUid).toMatchObject({ uid: null, warnings: [expect.stringContaining('any uid'), expect.stringContaining('node_modules')] });
    expect((await ctl(home, ['allow', 'list'])).stdout).toContain('ANY (!)');
    expect((await d.status()).identity).toMatchObject({ exec_ledger: 'active', entries_uid_any: [anyUid.id] });
    expect(await statusOf(NODE, [agent, url], asNobody)).toBe('200');
    await d.stop();
  });

  it('7. a pinned code tree: a changed module denies the entry (proxy.code_changed) until allow refresh; code writable by others is warned about', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const agent = script('agent.mjs', `import { tag } from './helper.mjs';\nif (tag !== 'ok') process.exit(1);\n${AGENT}`);
    const dir = dirname(agent);
    const helper = join(dir, 'helper.mjs');
    writeFileSync(helper, "export const tag = 'ok';\n");
    const url = `${base}/v1/models`;
    const added = JSON.parse((await allow(home, ['--exe-path', NODE, '--script', agent, '--tree', dir, '--json'])).stdout);
    expect(added).toMatchObject({ trees: [dir], treeFiles: 3, warnings: [expect.stringContaining('node_modules')] }); // below /tmp
    expect(await statusOf(NODE, [agent, url])).toBe('200');
    const before = keyUses(upstream, key);
    appendFileSync(helper, "globalThis.stolen = 'the attacker runs here now';\n");
    await new Promise((r) => setTimeout(r, 1100)); // a tree is re-checked at most once a second
    expect(await statusOf(NODE, [agent, url])).toBe('403');
    expect(keyUses(upstream, key)).toBe(before);
    const changed = await waitFor(async () => (await auditEvents(home, 'proxy.code_changed'))[0], 5000, 'proxy.code_changed row');
    expect(changed.data).toMatchObject({ entry_id: added.id, detail: `${helper} changed` });
    // Still denied after the proxy restarts, until an operator refreshes the entry.
    expect((await ctl(home, ['restart', 'proxy'])).code).toBe(0);
    await d.waitForAllRunning();
    expect(await statusOf(NODE, [agent, url])).toBe('403');
    expect((await ctl(home, ['allow', 'refresh', String(added.id)])).code).toBe(0);
    expect(await statusOf(NODE, [agent, url])).toBe('200');

    chownSync(dir, 65534, 65534);
    const warned = JSON.parse((await allow(home, ['--exe-path', NODE, '--script', agent, '--json'])).stdout);
    expect(warned.warnings).toEqual([expect.stringContaining(`${dir} is writable by a uid other than root`)]);
    expect((await d.status()).identity?.entries_code_writable).toEqual(expect.arrayContaining([{ id: warned.id, path: dir }, { id: added.id, path: dir }]));
    await d.stop();
  });

  it('8. a busy allowed agent that churns descriptors gets 0 false denials over 300 requests, each one re-identified', async () => {
    const { home, d, base } = await startProxy(upstream, { identity_max_age_ms: 0, rate_limit: 100_000 });
    const busy = script(
      'busy.mjs',
      `import { Worker } from 'node:worker_threads';
const churn = new Worker("const fs = require('node:fs'); for (;;) { const fds = []; for (let i = 0; i < 50; i++) fds.push(fs.openSync('/proc/self/stat', 'r')); for (const fd of fds) fs.closeSync(fd); }", { eval: true });
const statuses = {};
for (let i = 0; i < 300; i++) {
  const r = await fetch(process.argv[2], { headers: { authorization: 'Bearer dummy' } });
  await r.arrayBuffer();
  statuses[r.status] = (statuses[r.status] ?? 0) + 1;
}
console.log(JSON.stringify(statuses));
process.exit(0);
`,
    );
    await allow(home, ['--exe-path', NODE, '--script', busy]);
    const r = await run(NODE, [busy, `${base}/v1/models`]);
    expect(JSON.parse(r.stdout)).toEqual({ 200: 300 });
    expect(await auditEvents(home, 'proxy.denied')).toEqual([]);
    await d.stop();
  });

  it('9. NODE_OPTIONS is split as node splits it: a --require behind an escaped quote gets no key', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const agent = script('agent.mjs', AGENT);
    const url = `${base}/v1/models`;
    await allow(home, ['--exe-path', NODE, '--script', agent]);
    const marker = join(mkdtempSync(join(tmpdir(), 'raypher-ran-')), 'ran');
    const evil = script('evil.cjs', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x');\n`);
    const before = keyUses(upstream, key);
    // node: --title='"', then --require, then --no-warnings. A whitespace split without escapes saw one quoted title.
    const env = { env: { PATH: process.env.PATH ?? '/usr/bin', NODE_OPTIONS: `--title="\\"" --require=${evil} "--no-warnings"` } };
    expect(await statusOf(NODE, [agent, url], env)).toBe('403');
    expect(existsSync(marker)).toBe(true); // node did run the attacker's module
    expect(keyUses(upstream, key)).toBe(before);
    expect(await reasonsOf(home, 1)).toEqual(['env_injection']);
    await d.stop();
  });

  it('10. python finds code from HOME and argv[0]: another HOME, a venv named by argv[0] or PATH get no key; the agent still does', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const pyAgent = script('agent.py', PY_AGENT);
    const url = `${base}/v1/models`;
    await allow(home, ['--exe-path', PYTHON, '--script', pyAgent]);
    const PATH = process.env.PATH ?? '/usr/bin';
    expect(await statusOf(PYTHON, [pyAgent, url], { env: { PATH, HOME: process.env.HOME ?? '/root' } })).toBe('200');
    const lib = join('lib', basename(PYTHON), 'site-packages');
    const marker = join(mkdtempSync(join(tmpdir(), 'raypher-ran-')), 'ran');
    const pth = `import os; open(${JSON.stringify(marker)}, 'a').write('x')\n`;
    const before = keyUses(upstream, key);
    // A HOME the attacker filled: python's user site-packages runs its .pth files at start-up.
    const evilHome = mkdtempSync(join(tmpdir(), 'raypher-home-'));
    mkdirSync(join(evilHome, '.local', lib), { recursive: true });
    writeFileSync(join(evilHome, '.local', lib, 'evil.pth'), pth);
    expect(await statusOf(PYTHON, [pyAgent, url], { env: { PATH, HOME: evilHome } })).toBe('403');
    // A venv made of a pyvenv.cfg beside an argv[0] that does not even exist: python takes its prefix from argv[0].
    const venv = mkdtempSync(join(tmpdir(), 'raypher-venv-'));
    writeFileSync(join(venv, 'pyvenv.cfg'), `home = ${dirname(PYTHON)}\n`);
    mkdirSync(join(venv, lib), { recursive: true });
    writeFileSync(join(venv, lib, 'evil.pth'), pth);
    expect(await statusOf(PYTHON, [pyAgent, url], { env: { PATH }, argv0: join(venv, 'bin', 'python') })).toBe('403');
    // The same venv found by a bare name through PATH (a link to the real interpreter in its bin/).
    mkdirSync(join(venv, 'bin'));
    symlinkSync(PYTHON, join(venv, 'bin', 'python3'));
    expect(await statusOf(PYTHON, [pyAgent, url], { env: { PATH: `${join(venv, 'bin')}:${PATH}` }, argv0: 'python3' })).toBe('403');
    expect(readFileSync(marker, 'utf8').length).toBeGreaterThanOrEqual(3); // each time, python did run the attacker's .pth (a venv's twice)
    expect(keyUses(upstream, key)).toBe(before);
    expect(await reasonsOf(home, 3)).toEqual(['env_injection', 'option_denied', 'option_denied']);
    // The agent by a bare name through a PATH of root's folders, or by its real path, is still served.
    expect(await statusOf(PYTHON, [pyAgent, url], { env: { PATH: '/usr/bin:/bin' }, argv0: 'python3' })).toBe('200');
    await d.stop();
  });

  it('11. a pinned file swapped, run and put back between two tree checks denies the entry (ctime is the trace)', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const helperSource = "export const tag = 'ok';\n";
    const agent = script('agent.mjs', `import { tag } from './helper.mjs';\nif (tag !== 'ok') process.exit(1);\n${AGENT}`);
    const dir = dirname(agent);
    const helper = join(dir, 'helper.mjs');
    writeFileSync(helper, helperSource);
    const url = `${base}/v1/models`;
    await allow(home, ['--exe-path', NODE, '--script', agent, '--tree', dir]);
    expect(await statusOf(NODE, [agent, url])).toBe('200'); // the tree was checked just now
    const marker = join(mkdtempSync(join(tmpdir(), 'raypher-ran-')), 'ran');
    // The swapped module runs, then writes the original bytes back before the agent connects.
    writeFileSync(helper, `import { writeFileSync } from 'node:fs';\nimport { fileURLToPath } from 'node:url';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nwriteFileSync(fileURLToPath(import.meta.url), ${JSON.stringify(helperSource)});\nexport const tag = 'ok';\n`);
    const before = keyUses(upstream, key);
    expect(await statusOf(NODE, [agent, url])).toBe('403');
    expect(existsSync(marker)).toBe(true);
    expect(readFileSync(helper, 'utf8')).toBe(helperSource);
    expect(keyUses(upstream, key)).toBe(before);
    expect(await reasonsOf(home, 1)).toEqual(['code_changed']);
    await d.stop();
  });

  it('12. another view of the files: a user namespace that bind-mounts its code over the allowed script, or a chroot, gets no key', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const agent = script('agent.mjs', AGENT);
    const url = `${base}/v1/models`;
    const asNobody = { uid: 65534, gid: 65534, cwd: '/' };
    await allow(home, ['--exe-path', NODE, '--script', agent, '--uid', '65534']);
    expect(await statusOf(NODE, [agent, url], asNobody)).toBe('200');
    const marker = join(mkdtempSync(join(tmpdir(), 'raypher-ran-')), 'ran');
    chmodSync(dirname(marker), 0o777);
    const evil = script('evil.mjs', `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\n${AGENT}`);
    const before = keyUses(upstream, key);
    // Unprivileged: a user namespace owns a mount namespace, where the attacker's file sits at the allowed path.
    const swapped = await run('unshare', ['-Urm', 'sh', '-c', `mount --bind ${evil} ${agent} && exec ${NODE} ${agent} ${url}`], asNobody);
    expect([swapped.stdout.trim(), existsSync(marker)]).toEqual(['403', true]);
    // A chroot (allowed in a user namespace without a new mount namespace): the script path names a file under the new root.
    const fake = mkdtempSync(join(tmpdir(), 'raypher-root-'));
    chmodSync(fake, 0o755);
    mkdirSync(join(fake, dirname(agent)), { recursive: true, mode: 0o755 });
    copyFileSync(evil, join(fake, agent));
    // node's loader and libraries are read under the new root: copy them in (the executable itself is opened before).
    for (const lib of execFileSync('ldd', [NODE], { encoding: 'utf8' }).match(/\/\S+/g) ?? []) {
      mkdirSync(join(fake, dirname(lib)), { recursive: true, mode: 0o755 });
      copyFileSync(lib, join(fake, lib));
      chmodSync(join(fake, lib), 0o755);
    }
    const chrooted = script('chroot.py', `import os, sys\nfd = os.open(${JSON.stringify(NODE)}, os.O_RDONLY)\nos.chroot(${JSON.stringify(fake)})\nos.chdir('/')\nos.execve(fd, [${JSON.stringify(NODE)}, ${JSON.stringify(agent)}, sys.argv[1]], {})\n`);
    mkdirSync(join(fake, dirname(marker)), { recursive: true, mode: 0o777 });
    chmodSync(join(fake, dirname(marker)), 0o777);
    const r = await run('unshare', ['-Ur', PYTHON, chrooted, url], asNobody);
    expect([r.stdout.trim(), r.stderr, existsSync(join(fake, marker))]).toEqual(['403', '', true]); // the marker, seen from outside the chroot
    expect(keyUses(upstream, key)).toBe(before);
    expect(await reasonsOf(home, 2)).toEqual(['not_listed', 'not_listed']);
    await d.stop();
  });

  it('13. a link inside a pinned tree that leads out of it: what it leads to is pinned too', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const outside = mkdtempSync(join(tmpdir(), 'raypher-outside-'));
    const helper = join(outside, 'helper.mjs');
    writeFileSync(helper, "export const tag = 'ok';\n");
    const agent = script('agent.mjs', `import { tag } from './lib/helper.mjs';\nif (tag !== 'ok') process.exit(1);\n${AGENT}`);
    const dir = dirname(agent);
    symlinkSync(outside, join(dir, 'lib'));
    const url = `${base}/v1/models`;
    await allow(home, ['--exe-path', NODE, '--script', agent, '--tree', dir]);
    expect(await statusOf(NODE, [agent, url])).toBe('200');
    const before = keyUses(upstream, key);
    appendFileSync(helper, "globalThis.stolen = 'the attacker runs here now';\n");
    expect(await statusOf(NODE, [agent, url])).toBe('403');
    expect(keyUses(upstream, key)).toBe(before);
    expect(await reasonsOf(home, 1)).toEqual(['code_changed']);
    await d.stop();
  });

  it('a process with no exec record (started before Raypher) is identified from /proc only for an entry that accepts it', async () => {
    const agent = script('waiting.mjs', `import { existsSync, readFileSync } from 'node:fs';\nconst go = process.argv[2];\nsetTimeout(() => process.exit(2), 30_000).unref();\nwhile (!existsSync(go)) await new Promise((r) => setTimeout(r, 50));\n${AGENT.replace('process.argv[2]', 'readFileSync(go, "utf8")')}`);
    const signals = mkdtempSync(join(tmpdir(), 'raypher-go-'));
    const early = [run(NODE, [agent, join(signals, 'a')]), run(NODE, [agent, join(signals, 'b')])];
    const { home, d, key, base } = await startProxy(upstream, CFG);
    await allow(home, ['--exe-path', NODE, '--script', agent]);
    writeFileSync(join(signals, 'a'), `${base}/v1/models`);
    expect((await early[0])?.stdout.trim()).toBe('403');
    expect(keyUses(upstream, key)).toBe(0);
    expect(await reasonsOf(home, 1)).toEqual(['no_exec_record']);
    await allow(home, ['--exe-path', NODE, '--script', agent, '--proc-fallback']);
    expect((await ctl(home, ['allow', 'list'])).stdout).toContain('exec or /proc');
    writeFileSync(join(signals, 'b'), `${base}/v1/models`);
    expect((await early[1])?.stdout.trim()).toBe('200');
    const ok = await waitFor(async () => (await auditEvents(home, 'proxy.request'))[0], 5000, 'request row');
    expect(ok.data).toMatchObject({ identity_source: 'proc' });
    await d.stop();
  });

  it('exec records of running agents survive a proxy restart; only listed programs are journaled, with secrets on argv redacted', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const agent = script('waiting.mjs', `import { existsSync, readFileSync } from 'node:fs';\nconst go = process.argv[2];\nsetTimeout(() => process.exit(2), 30_000).unref();\nwhile (!existsSync(go)) await new Promise((r) => setTimeout(r, 50));\n${AGENT.replace('process.argv[2]', 'readFileSync(go, "utf8")')}`);
    await allow(home, ['--exe-path', NODE, '--script', agent]);
    const signals = mkdtempSync(join(tmpdir(), 'raypher-go-'));
    // A careless user puts a key on a command line: of the allowed agent, and of a program that is not listed.
    const running = run(NODE, [agent, join(signals, 'go'), `--api-key=${key}`]);
    await run('/bin/sh', ['-c', 'cat >/dev/null', key]); // reads its stdin to the end: no EPIPE when it exits first
    const journal = join(home, 'run', 'exec-ledger.jsonl');
    await waitFor(async () => readFileSync(journal, 'utf8').includes(agent), 5000, 'the agent in the journal');
    expect((await ctl(home, ['restart', 'proxy'])).code).toBe(0);
    await d.waitForAllRunning();
    writeFileSync(join(signals, 'go'), `${base}/v1/models`);
    expect((await running).stdout.trim()).toBe('200');
    const ok = await waitFor(async () => (await auditEvents(home, 'proxy.request'))[0], 5000, 'request row');
    expect(ok.data).toMatchObject({ identity_source: 'exec' });
    const text = readFileSync(journal, 'utf8');
    expect(text.includes(key)).toBe(false);
    expect(text).toContain('--api-key=[REDACTED]');
    expect(text).not.toContain('/bin/sh');
    await d.stop();
  });

  it('reports the posture: exec ledger, ptrace scope and its warning, in status and /health', async () => {
    const { home, d } = await startProxy(upstream, CFG);
    const scope = (() => {
      try {
        return Number(readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8'));
      } catch {
        return null;
      }
    })();
    const identity = (await d.status()).identity;
    expect(identity).toMatchObject({ exec_ledger: 'active', ptrace_scope: scope });
    if (scope === null || scope === 0) expect(identity?.warnings).toEqual(expect.arrayContaining([expect.stringContaining('ptrace')]));
    const health = JSON.parse((await ctl(home, ['health', '--json'])).stdout) as { identity?: { exec_ledger: string } };
    expect(health.identity?.exec_ledger).toBe('active');
    expect((await ctl(home, ['status'])).stdout).toContain('Exec ledger');
    await d.stop();
  });
});
