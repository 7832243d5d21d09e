// The allow-list control methods (raypherctl allow ...): validate what the operator names, hash it off the event
// loop, bind the entry to the operator's uid unless `--uid any` is explicit, and warn about code others can write.
import { realpathSync, statSync } from 'node:fs';
import { sep } from 'node:path';
import type { AuditLedger } from '@raypher/shared/db';
import { RaypherError } from '@raypher/shared/errors';
import type { AllowEntryInfo, InterpreterFamily, OwnedHandlers } from '@raypher/shared/ipc';
import { ruleOf, type AllowEntry, type AllowList } from './allow-list.js';
import { familyOf } from './identity/grammar/index.js';
import { writableCode } from './identity/posture.js';
import { IdentityMethods } from './identity/protocol.js';
import { compilePythonTrees } from './identity/pycache.js';
import type { IdentityThread } from './identity/thread.js';

interface AllowDeps {
  allowList: AllowList;
  identity: IdentityThread;
  ledger: AuditLedger;
  by(caller: { uid: number; pid: number } | null): string;
  /** Sends the new rules to the identification thread. */
  pushRules(): Promise<void>;
}

type AllowHandlers = Pick<OwnedHandlers<'proxy'>, 'allow.add' | 'allow.list' | 'allow.remove' | 'allow.refresh'>;

export function allowHandlers(d: AllowDeps): AllowHandlers {
  const add: AllowHandlers['allow.add'] = async ({ caller, args }) => {
    const exePath = existing(args.exePath, 'the program that calls the proxy');
    const family = args.interpreter ?? familyOf(exePath);
    const script = args.script === null ? null : existing(args.script, 'the script');
    const trees = args.trees.map((t) => existing(t, 'a code tree'));
    for (const t of trees) if (!statSync(t).isDirectory()) invalid(`--tree ${t} is not a directory; pin the directory that holds the agent's code`);
    if ((script || args.anyScript || args.inlineCode) && family === 'binary') {
      invalid(`${exePath} is not a known interpreter; --script, --any-script and --inline apply to python, node, ruby, perl, sh, ... (or name the grammar with --interpreter)`);
    }
    if (family !== 'binary' && !script && !args.anyScript && !args.inlineCode && trees.length === 0) {
      invalid(`${exePath} is an interpreter (${family}): say which code it may run with --script FILE, --tree DIR, --any-script or --inline`);
    }
    const posture = await d.identity.call(IdentityMethods.posture, {});
    if (posture.exec_ledger !== 'active' && !args.procFallback) {
      invalid(`the exec ledger is not running here (${posture.exec_ledger_reason ?? posture.exec_ledger}), so callers can only be identified from /proc, which a process can rewrite: add --proc-fallback to accept that (docs/security.md), or run Raypher as root on the host`);
    }
    const uid = args.anyUid ? null : (args.uid ?? caller?.uid ?? invalid('the operator uid is unknown; pass --uid N, or --uid any for every user'));
    const [exeHash, scriptHash] = await d.identity.call(IdentityMethods.hash, { paths: script ? [exePath, script] : [exePath] });
    const manifest = await pin(d, family, exePath, script, trees);
    const entry = await d.allowList.add(
      {
        exe_path: exePath,
        exe_hash: exeHash as string,
        friendly_name: args.name,
        uid,
        family,
        script_path: script,
        script_hash: scriptHash ?? null,
        any_script: args.anyScript ? 1 : 0,
        inline_code: args.inlineCode ? 1 : 0,
        trees: JSON.stringify(trees),
        allow_env: JSON.stringify(args.allowEnv),
        allow_options: JSON.stringify(args.allowOptions),
        proc_fallback: args.procFallback ? 1 : 0,
        rate_limit: args.rateLimit,
        added_by: d.by(caller),
      },
      manifest,
    );
    await d.pushRules();
    const info = toInfo(entry, d.allowList);
    await d.ledger.append('allow.added', { id: entry.id, exe_path: entry.exe_path, exe_hash: entry.exe_hash, family, uid, script, trees, tree_files: manifest.length, any_script: args.anyScript, inline_code: args.inlineCode, allow_env: args.allowEnv, allow_options: args.allowOptions, proc_fallback: args.procFallback, warnings: info.warnings, caller });
    return info;
  };

  const list: AllowHandlers['allow.list'] = () => ({ entries: d.allowList.list().map((e) => toInfo(e, d.allowList)) });

  const remove: AllowHandlers['allow.remove'] = async ({ caller, args }) => {
    const removed = await d.allowList.remove(args.id);
    if (!removed) invalid(`no allow-list entry with id ${args.id}; 'raypherctl allow list' shows them`);
    await d.pushRules();
    await d.ledger.append('allow.removed', { id: removed.id, exe_path: removed.exe_path, caller });
    return toInfo(removed, d.allowList);
  };

  const refresh: AllowHandlers['allow.refresh'] = async ({ caller, args }) => {
    const entry = d.allowList.get(args.id) ?? invalid(`no allow-list entry with id ${args.id}; 'raypherctl allow list' shows them`);
    const rule = ruleOf(entry);
    const script = rule.scriptPath ? existing(rule.scriptPath, 'the script') : null;
    const [scriptHash] = script ? await d.identity.call(IdentityMethods.hash, { paths: [script] }) : [null];
    const manifest = await pin(d, rule.family, rule.exePath, script, rule.trees);
    const refreshed = await d.allowList.refresh(entry.id, scriptHash ?? null, manifest);
    await d.pushRules();
    await d.ledger.append('allow.refreshed', { id: entry.id, script_hash: scriptHash ?? null, tree_files: manifest.length, was_code_changed: entry.code_changed === 1, caller });
    return toInfo(refreshed, d.allowList);
  };

  return { 'allow.add': add, 'allow.list': list, 'allow.remove': remove, 'allow.refresh': refresh };
}

/**
 * The manifest of what the entry pins: every file under its trees, and its script (a script swapped, run and put back
 * has its old bytes again but not its old stamp). Python's trees are compiled first (pycache.ts).
 */
async function pin(d: AllowDeps, family: InterpreterFamily, exePath: string, script: string | null, trees: readonly string[]) {
  if (family === 'python' && trees.length > 0) await compilePythonTrees(exePath, trees);
  const inTree = (p: string) => trees.some((t) => p === t || p.startsWith(t.endsWith(sep) ? t : t + sep));
  const roots = [...trees, ...(script && !inTree(script) ? [script] : [])];
  return roots.length > 0 ? d.identity.call(IdentityMethods.manifest, { roots }) : [];
}

function invalid(message: string): never {
  throw new RaypherError('ERR_PROXY_ALLOW_INVALID', message);
}

function existing(path: string, what: string): string {
  try {
    return realpathSync(path);
  } catch {
    return invalid(`${path} does not exist; give the path of ${what}`);
  }
}

function toInfo(e: AllowEntry, list: AllowList): AllowEntryInfo {
  const rule = ruleOf(e);
  const warnings: string[] = [];
  if (e.uid === null) warnings.push('any uid: every local user running this program gets the key');
  const writable = writableCode(rule);
  if (writable) warnings.push(`${writable.path} is writable by a uid other than root and the entry's own: ${writable.why}`);
  if (rule.codeChanged) warnings.push("pinned code changed: denied until 'raypherctl allow refresh'");
  return {
    id: e.id,
    exePath: e.exe_path,
    exeHash: e.exe_hash,
    name: e.friendly_name,
    uid: e.uid,
    family: e.family,
    scriptPath: e.script_path,
    scriptHash: e.script_hash,
    anyScript: rule.anyScript,
    inlineCode: rule.inlineCode,
    trees: [...rule.trees],
    treeFiles: list.treeFileCount(e.id),
    allowEnv: [...rule.allowEnv],
    allowOptions: [...rule.allowOptions],
    procFallback: rule.acceptProc,
    codeChanged: rule.codeChanged,
    rateLimit: e.rate_limit,
    addedAt: e.added_at,
    addedBy: e.added_by,
    warnings,
  };
}
