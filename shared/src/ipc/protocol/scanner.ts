// The scanner's operator surface: detected agents, findings, a pass on demand and the terminator (forwarded by the supervisor).
import { defineControlMethods } from '../define.js';
import { array, bool, empty, int, literal, nullable, num, object, str, type Infer } from '../schema.js';
import { QUICK_CONTROL_MS } from './common.js';

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export const FINDING_KINDS = ['key.exposed', 'proxy.bypass', 'agent.unlisted'] as const;
export const FINDING_STATES = ['open', 'acknowledged', 'resolved'] as const;

export const agentInfo = object({
  pid: int(),
  name: str(),
  /** The signature that matched (or framework:<ids> for a script). */
  signature: str(),
  exe: nullable(str()),
  uid: int(),
  risk: literal(...RISK_LEVELS),
  reasons: array(str()),
  allowListed: bool(),
  viaProxy: bool(),
  suspended: bool(),
});
export type AgentInfo = Infer<typeof agentInfo>;

export const findingInfo = object({
  id: int(),
  kind: literal(...FINDING_KINDS),
  pid: nullable(int()),
  exe: nullable(str()),
  identity: nullable(str()),
  fingerprint: nullable(str()),
  /** What the finding is about, without any secret: variable and provider, remote address, denial reason. */
  detail: str(),
  risk: literal(...RISK_LEVELS),
  state: literal(...FINDING_STATES),
  firstSeen: str(),
  lastSeen: str(),
});
export type FindingInfo = Infer<typeof findingInfo>;

/** connections: how the pass listed TCP connections (netlink sock_diag, or /proc/net/tcp after sock_diag failed). */
export const scanResult = object({ processes: int({ min: 0 }), agents: int({ min: 0 }), openFindings: int({ min: 0 }), durationMs: num(), connections: literal('sock_diag', 'proc') });
export type ScanResult = Infer<typeof scanResult>;

export const terminatorResult = object({ pid: int(), name: str(), action: literal('killed', 'suspended', 'resumed') });
const pidParams = object({ pid: int({ min: 1 }) });

/** The scanner's operator methods; the supervisor forwards each to the scanner worker with the caller attached. */
export const ScannerControl = defineControlMethods('scanner', {
  'agents.list': { access: 'read', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: object({ agents: array(agentInfo) }) },
  'findings.list': { access: 'read', timeoutMs: QUICK_CONTROL_MS, params: object({ all: bool() }), result: object({ findings: array(findingInfo) }) },
  'findings.ack': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: object({ id: int({ min: 1 }) }), result: findingInfo },
  /** A pass now; it may act (per [watchtower] action_*), hence admin. */
  'scan.run': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: scanResult },
  'process.kill': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: pidParams, result: terminatorResult },
  'process.suspend': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: pidParams, result: terminatorResult },
  'process.resume': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: pidParams, result: terminatorResult },
});
