// What a denied caller is told for each deny reason: what was seen, and the fix (docs/security.md explains each).
import type { DenyReason } from './identity/decide.js';

export const DENY_MESSAGES: Readonly<Record<DenyReason, string>> = {
  no_process: 'the calling process could not be identified',
  not_listed: 'this process is not on the allow list; add it with raypherctl allow --exe-path ...',
  exe_changed: 'this executable changed on disk since it was allow-listed; re-add it with raypherctl allow --exe-path',
  wrong_uid: 'this program is allow-listed for another uid; add an entry with raypherctl allow --uid',
  inherited_socket: 'the connection was inherited across an exec: a program must open its own connection to the proxy',
  exec_after_connect: 'the process executed a new program after it connected: a program must open its own connection',
  no_exec_record: 'this process started before Raypher recorded its exec (or the exec ledger is off): restart it, or add the entry with --proc-fallback',
  env_injection: 'its environment injects code at start-up; unset the variable, or name it with raypherctl allow --allow-env',
  option_denied: 'it was started with an option that runs or loads other code; or name a harmless one with --allow-option',
  inline_code: 'inline code (-c/-e/-m/stdin) is not allowed for this interpreter',
  script_not_allowed: 'this interpreter is allow-listed only for other scripts; add this one with raypherctl allow --exe-path ... --script ...',
  code_changed: "the entry's pinned code changed; check the change, then run raypherctl allow refresh ID",
  debugger_open: "a debugger (node's inspector) is open in this process, so any local process can make it send anything; it is refused while the inspector listens (SIGUSR1 opens one: run node agents under their own uid)",
};
