// Caller identity under attack, second round (docs/security.md): what the audit of issue 8 found after the first
// kit was closed. Each case is a real attacking process against a real proxy and a real upstream that records the
// Authorization it receives.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { auditEvents, ctl, run, waitFor } from '../helpers/daemon.js';
import { AGENT, allow, FETCH_ONCE, keyUses, NODE, PY_AGENT, script, startProxy, statusOf, upstreamPerTest } from './harness.js';
import type { Upstream } from './upstream.js';

let upstream: Upstream;
upstreamPerTest((u) => (upstream = u));

/** Re-verification after 200 ms keeps the hand-over tests short; the default is 1 s. */
const CFG = { identity_max_age_ms: 200 };
const PYTHON = realpathSync('/usr/bin/python3');
const NOBODY = { uid: 65534, gid: 65534, cwd: '/' };
/** Where SIGUSR1 opens node's inspector: 127.0.0.1 and process.debugPort, 9229 unless the program itself changes it. */
const INSPECTOR_PORT = 9229;

async function reasonsOf(home: string, n: number, timeoutMs = 30_000): Promise<unknown[]> {
  try {
    return await waitFor(async () => {
      const r = (await auditEvents(home, 'proxy.denied')).map((e) => e.data.reason);
      return r.length >= n ? r : undefined;
    }, timeoutMs, `${n} proxy.denied rows`);
  } catch (err) {
    const seen = (await auditEvents(home)).map((e) => `${e.type}:${String(e.data.reason ?? '')}`);
    throw new Error(`${(err as Error).message}; the audit holds ${seen.length} rows: ${seen.join(', ')}`);
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

/** A script in a sticky, world-writable folder of root's, as /tmp is. */
function stickyScript(name: string, source: string): string {
  const path = script(name, source);
  chmodSync(dirname(path), 0o1777);
  return path;
}

describe('caller identity under attack (second round)', () => {
  it('14. SIGUSR1 opens node’s inspector in an allowed agent: a process that drives it gets no key while it listens', async () => {
    if (!(await portFree(INSPECTOR_PORT))) throw new Error(`port ${INSPECTOR_PORT} is in use on this machine: SIGUSR1 could not open an inspector there; free it to run this test`);
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const url = `${base}/v1/models`;
    // An allowed agent that idles (an agent waiting for its next task).
    const agent = script('idle-agent.mjs', `if (process.argv[2]) ${AGENT.trim()}\nelse setTimeout(() => process.exit(0), 60_000);\n`);
    await allow(home, ['--exe-path', NODE, '--script', agent]);
    expect(await statusOf(NODE, [agent, url])).toBe('200');
    const running = spawn(NODE, [agent], { stdio: 'ignore' });
    // The attacker: not on the list. It signals the agent (same uid: kill() needs nothing else; Yama does not cover
    // signals), finds the inspector, and has the agent make its request.
    const attacker = script(
      'drive-inspector.mjs',
      `const [pid, url, port] = process.argv.slice(2);
await new Promise((r) => setTimeout(r, 300)); // the agent is up
process.kill(Number(pid), 'SIGUSR1');
let targets;
for (let i = 0; i < 200 && !targets; i++) {
  try { targets = await (await fetch('http://127.0.0.1:' + port + '/json/list')).json(); } catch { await new Promise((r) => setTimeout(r, 50)); }
}
const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
const expression = 'fetch(' + JSON.stringify(url) + ", { method: 'POST', headers: { authorization: 'Bearer dummy', 'content-type': 'application/json' }, body: '{}' }).then((r) => r.status, (e) => String(e))";
ws.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, awaitPromise: true } }));
const reply = await new Promise((resolve) => { ws.onmessage = (m) => resolve(JSON.parse(String(m.data))); });
console.log(String(reply.result?.result?.value ?? JSON.stringify(reply)));
ws.close();
process.exit(0);
`,
    );
    const before = keyUses(upstream, key);
    try {
      const r = await run(NODE, ['--experimental-websocket', '--no-warnings', attacker, String(running.pid), url, String(INSPECTOR_PORT)]);
      expect([r.stdout.trim(), r.stderr]).toEqual(['403', '']);
    } finally {
      running.kill('SIGKILL');
    }
    expect(keyUses(upstream, key)).toBe(before);
    expect(await reasonsOf(home, 1)).toEqual(['debugger_open']);
    const row = (await auditEvents(home, 'proxy.denied'))[0];
    expect(String(row?.data.detail)).toContain(`127.0.0.1:${INSPECTOR_PORT}`);
    await d.stop();
  });

  it('15. a socket that changes hands: a taker that makes itself non-dumpable is still seen, and an agent that is handed a socket over NODE_CHANNEL_FD gets no key', async () => {
    const { home, d, key, port } = await startProxy(upstream, CFG);
    const request = script('request.http', 'GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dummy\r\n\r\n');
    // The allowed agent (uid 65534) makes one request on a raw keep-alive connection, keeps the socket (paused), and
    // starts a helper that takes a copy of it with pidfd_getfd; `hidden` makes the taker non-dumpable first (its
    // /proc/<pid>/fd turns root's: a scanner that is not root cannot read it).
    const giver = script(
      'giver.mjs',
      `import net from 'node:net';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
const [port, python, taker, request, mode] = process.argv.slice(2);
const sock = net.connect(Number(port), '127.0.0.1');
sock.write(readFileSync(request));
sock.once('data', (first) => {
  sock.pause();
  const child = spawn(python, [taker, String(process.pid), String(sock._handle.fd), request, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.on('exit', () => { console.log(JSON.stringify([first.toString().slice(9, 12), out.trim()])); process.exit(0); });
});
`,
    );
    const taker = script(
      'taker.py',
      `import ctypes, os, select, sys, time
pid, fd, request, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
libc = ctypes.CDLL(None, use_errno=True)
if mode == 'hidden':
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    assert libc.prctl(3, 0, 0, 0, 0) == 0 and os.stat('/proc/self/fd').st_uid == 0, 'not hidden'
mine = libc.syscall(438, os.pidfd_open(pid), fd, 0)  # pidfd_getfd: same uid, and ptrace access to the giver
if mine < 0:
    print('errno %d' % ctypes.get_errno())
    sys.exit(0)
time.sleep(0.5)  # past identity_max_age_ms: the next request is checked again
os.write(mine, open(request, 'rb').read())
buf = b''
while b'\\r\\n' not in buf and select.select([mine], [], [], 5)[0]:
    chunk = os.read(mine, 65536)
    if not chunk:
        break
    buf += chunk
print(buf[9:12].decode() or 'closed')
`,
    );
    await allow(home, ['--exe-path', NODE, '--script', giver, '--uid', '65534']);
    const before = keyUses(upstream, key);
    for (const mode of ['visible', 'hidden']) {
      const r = await run(NODE, [giver, String(port), PYTHON, taker, request, mode], NOBODY);
      expect([mode, JSON.parse(r.stdout), r.stderr]).toEqual([mode, ['200', '403'], '']);
    }
    expect(keyUses(upstream, key)).toBe(before + 2); // the giver's own first requests only
    expect(await reasonsOf(home, 2)).toEqual(['not_listed', 'not_listed']); // python is not on the list

    // Pushed instead of taken: the attacker starts the allowed agent with a node IPC channel, connects to the proxy,
    // writes its request but the last byte, and pushes the socket into the agent (node takes it by itself, close-on-
    // exec, with no code of the agent's). Then it writes the last byte and closes its own copy at once: by the time
    // the proxy looks, the only holder is the allowed agent, which exec'd before the connection.
    const idle = script('idle.mjs', 'setTimeout(() => process.exit(0), 20_000);\n');
    await allow(home, ['--exe-path', NODE, '--script', idle, '--uid', '65534']);
    const pusher = script(
      'pusher.py',
      `import array, json, os, select, socket, subprocess, sys, time
node, agent, port, request = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
child = subprocess.Popen([node, agent], env=dict(os.environ, NODE_CHANNEL_FD=str(theirs.fileno())), pass_fds=(theirs.fileno(),))
time.sleep(1)  # the agent's exec comes before the connection
conn = socket.create_connection(('127.0.0.1', port))
data = open(request, 'rb').read()
conn.sendall(data[:-1])
ours.sendmsg([json.dumps({'cmd': 'NODE_HANDLE', 'type': 'net.Native', 'msg': 'x'}).encode() + b'\\n'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [conn.fileno()]))])
ack = b''
while b'NODE_HANDLE_ACK' not in ack and select.select([ours], [], [], 5)[0]:
    ack += ours.recv(4096)
assert b'NODE_HANDLE_ACK' in ack, 'node did not take the socket'
conn.sendall(data[-1:])
conn.close()
time.sleep(2)  # the agent holds the connection while the proxy answers it
child.kill()
print('pushed')
`,
    );
    const pushed = await run(PYTHON, [pusher, NODE, idle, String(port), request], NOBODY);
    expect([pushed.stdout.trim(), pushed.stderr]).toEqual(['pushed', '']);
    expect(await reasonsOf(home, 3, 10_000)).toEqual(['not_listed', 'not_listed', 'env_injection']);
    expect(String((await auditEvents(home, 'proxy.denied'))[2]?.data.detail)).toContain('NODE_CHANNEL_FD');
    expect(keyUses(upstream, key)).toBe(before + 2);
    await d.stop();
  });

  it('16. ELECTRON_RUN_AS_NODE turns an allowed native (Electron) program into node -e: no key', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const url = `${base}/v1/models`;
    // node under another name stands in for an Electron app: a binary entry, matched by hash, with no grammar.
    const dir = mkdtempSync(join(tmpdir(), 'raypher-app-'));
    const app = join(dir, 'my-electron-app');
    copyFileSync(NODE, app);
    chmodSync(app, 0o755);
    const added = JSON.parse((await allow(home, ['--exe-path', app, '--json'])).stdout);
    expect(added.family).toBe('binary');
    const agent = script('agent.mjs', AGENT);
    expect(await statusOf(app, [agent, url])).toBe('200');
    const before = keyUses(upstream, key);
    expect(await statusOf(app, ['-e', FETCH_ONCE(url)], { env: { PATH: process.env.PATH ?? '/usr/bin', ELECTRON_RUN_AS_NODE: '1' } })).toBe('403');
    expect(keyUses(upstream, key)).toBe(before);
    expect(await reasonsOf(home, 1)).toEqual(['env_injection']);
    expect(String((await auditEvents(home, 'proxy.denied'))[0]?.data.detail)).toContain('ELECTRON_RUN_AS_NODE');
    await d.stop();
  });

  it('17. a script in a sticky world-writable folder: other users add modules beside it (python) or above it (node); allow and the posture warn, a pinned tree denies', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const url = `${base}/v1/models`;
    const marker = join(mkdtempSync(join(tmpdir(), 'raypher-ran-')), 'ran');
    chmodSync(dirname(marker), 0o777);
    const plant = (path: string, source: string) => run(PYTHON, ['-c', `import os, sys\nos.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)\nopen(sys.argv[1], 'w').write(sys.argv[2])`, path, source], NOBODY);

    // python: the script's folder is sys.path[0]; another user's json.py there shadows the standard library.
    const pyAgent = stickyScript('agent.py', `import json\n${PY_AGENT}`);
    const pyDir = dirname(pyAgent);
    const warned = JSON.parse((await allow(home, ['--exe-path', PYTHON, '--script', pyAgent, '--json'])).stdout);
    expect(warned.warnings).toEqual([expect.stringContaining(`${pyDir} is writable by a uid other than root`)]);
    expect(warned.warnings[0]).toContain('sys.path');
    expect((await plant(join(pyDir, 'json.py'), `open(${JSON.stringify(marker)}, 'a').write('py')\nfrom _json import *\n`)).code).toBe(0);
    expect(await statusOf(PYTHON, [pyAgent, url])).toBe('200'); // what the warning is about: the planted module ran
    expect(readFileSync(marker, 'utf8')).toBe('py');

    // Pinned with --tree, a module planted later denies the entry (the first entry goes: its denial would come first).
    const listed = (await d.status()).identity;
    expect((await ctl(home, ['allow', 'rm', String(warned.id)])).code).toBe(0);
    const pyAgent2 = stickyScript('agent.py', `import json\n${PY_AGENT}`);
    const pyDir2 = dirname(pyAgent2);
    await allow(home, ['--exe-path', PYTHON, '--script', pyAgent2, '--tree', pyDir2]);
    expect(await statusOf(PYTHON, [pyAgent2, url])).toBe('200');
    const before = keyUses(upstream, key);
    expect((await plant(join(pyDir2, 'json.py'), `open(${JSON.stringify(marker)}, 'a').write('py2')\nfrom _json import *\n`)).code).toBe(0);
    expect(await statusOf(PYTHON, [pyAgent2, url])).toBe('403');
    expect(keyUses(upstream, key)).toBe(before);
    expect(await reasonsOf(home, 1)).toEqual(['code_changed']);

    // node: a bare import missing beside the script is looked for in node_modules of every folder above it.
    const top = dirname(stickyScript('placeholder', ''));
    const app = join(top, 'app');
    mkdirSync(app, { mode: 0o755 });
    const nodeAgent = join(app, 'agent.mjs');
    writeFileSync(nodeAgent, `await import('optional-helper').catch(() => null);\n${AGENT}`, { mode: 0o644 });
    const nodeWarned = JSON.parse((await allow(home, ['--exe-path', NODE, '--script', nodeAgent, '--json'])).stdout);
    expect(nodeWarned.warnings).toEqual([expect.stringContaining(`${top} is writable by a uid other than root`)]);
    expect(nodeWarned.warnings[0]).toContain('node_modules');
    expect((await plant(join(top, 'node_modules', 'optional-helper', 'index.js'), `require('fs').appendFileSync(${JSON.stringify(marker)}, 'node');\n`)).code).toBe(0);
    expect(await statusOf(NODE, [nodeAgent, url])).toBe('200');
    expect(readFileSync(marker, 'utf8')).toBe('pypy2node');

    expect(listed?.entries_code_writable).toEqual([{ id: warned.id, path: pyDir }]);
    expect(listed?.warnings).toEqual(expect.arrayContaining([expect.stringContaining(`entry ${warned.id}: ${pyDir} is writable`)]));
    expect((await d.status()).identity?.entries_code_writable).toEqual(expect.arrayContaining([{ id: nodeWarned.id, path: top }]));
    await d.stop();
  });

  it('18. python with --tree: the __pycache__ python writes is pinned at allow (no false code_changed), and a swapped .pyc denies', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const url = `${base}/v1/models`;
    const agent = script('agent.py', `import helper\nassert helper.TAG == 'ok'\n${PY_AGENT}`);
    const dir = dirname(agent);
    writeFileSync(join(dir, 'helper.py'), "TAG = 'ok'\n");
    await allow(home, ['--exe-path', PYTHON, '--script', agent, '--tree', dir]);
    // The first runs import helper: python writes __pycache__/helper.*.pyc unless it is already there and fresh (or
    // PYTHONDONTWRITEBYTECODE is set, as it may be where the tests run).
    const writes = { env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'PYTHONDONTWRITEBYTECODE')) };
    expect(await statusOf(PYTHON, [agent, url], writes)).toBe('200');
    expect(await statusOf(PYTHON, [agent, url], writes)).toBe('200');
    expect(await auditEvents(home, 'proxy.denied')).toEqual([]);
    // A .pyc with the same header (source size and mtime) runs instead of the source: pinned, so it denies.
    const pyc = readdirSync(join(dir, '__pycache__')).find((f) => f.startsWith('helper.')) as string;
    const marker = join(mkdtempSync(join(tmpdir(), 'raypher-ran-')), 'ran');
    const swap = `import marshal, sys\nold = open(sys.argv[1], 'rb').read()\nopen(sys.argv[1], 'wb').write(old[:16] + marshal.dumps(compile(sys.argv[2], 'helper.py', 'exec')))`;
    expect((await run(PYTHON, ['-c', swap, join(dir, '__pycache__', pyc), `open(${JSON.stringify(marker)}, 'w').write('x')\nTAG = 'ok'\n`])).code).toBe(0);
    const before = keyUses(upstream, key);
    expect(await statusOf(PYTHON, [agent, url], writes)).toBe('403');
    expect(existsSync(marker)).toBe(true); // python did run the swapped bytecode
    expect(keyUses(upstream, key)).toBe(before);
    expect(await reasonsOf(home, 1)).toEqual(['code_changed']);
    await d.stop();
  });

  it('19. a --script entry whose file is swapped, run and put back (same bytes again) denies: the script’s stamp is pinned', async () => {
    const { home, d, key, base } = await startProxy(upstream, CFG);
    const url = `${base}/v1/models`;
    const agent = script('agent.mjs', AGENT);
    await allow(home, ['--exe-path', NODE, '--script', agent]);
    expect(await statusOf(NODE, [agent, url])).toBe('200');
    const marker = join(mkdtempSync(join(tmpdir(), 'raypher-ran-')), 'ran');
    writeFileSync(agent, `import { writeFileSync } from 'node:fs';\nimport { fileURLToPath } from 'node:url';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nwriteFileSync(fileURLToPath(import.meta.url), ${JSON.stringify(AGENT)});\n${AGENT}`);
    const before = keyUses(upstream, key);
    expect(await statusOf(NODE, [agent, url])).toBe('403');
    expect(existsSync(marker)).toBe(true);
    expect(readFileSync(agent, 'utf8')).toBe(AGENT);
    expect(keyUses(upstream, key)).toBe(before);
    expect(await reasonsOf(home, 1)).toEqual(['code_changed']);
    await d.stop();
  });
});
