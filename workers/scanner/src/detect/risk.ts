// Risk of one process from its signals: a pure decision (docs/scanner.md, "Risk levels").
import { RISK_LEVELS, type RiskLevel } from '@raypher/shared/ipc';

export interface Signals {
  readonly agent: boolean;
  readonly keyExposed: boolean;
  /** The exposed key is one the vault holds sealed: it leaks around the vault. */
  readonly sealedKeyExposed: boolean;
  readonly bypass: boolean;
  readonly unlisted: boolean;
}

export function riskOf(s: Signals): RiskLevel {
  if (s.sealedKeyExposed || (s.bypass && s.keyExposed)) return 'critical';
  if (s.keyExposed || s.bypass) return 'high';
  if (s.unlisted) return 'medium';
  return 'low';
}

export function atLeast(risk: RiskLevel, threshold: RiskLevel): boolean {
  return RISK_LEVELS.indexOf(risk) >= RISK_LEVELS.indexOf(threshold);
}
