// The updater's Prometheus series (forwarded to /metrics by the supervisor); gauges read the status at scrape time.
import { Counter, Gauge, type Registry } from 'prom-client';
import { UPDATER_STATES, type UpdateStatus } from '@raypher/shared/ipc';

export const CHECK_RESULTS = ['staged', 'up_to_date', 'failed', 'rejected'] as const;

const seconds = (iso: string | null | undefined): number => (iso ? Date.parse(iso) / 1000 : 0);

export function updaterMetrics(registry: Registry, status: () => UpdateStatus) {
  const registers = [registry];
  const gauge = (name: string, help: string, pick: (s: UpdateStatus) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(pick(status()));
      },
    });
  gauge('raypher_updater_enabled', 'Whether [updater] enabled is true (1) or not (0)', (s) => (s.enabled ? 1 : 0));
  gauge('raypher_updater_paused', 'Whether an operator paused updates (1) or not (0)', (s) => (s.paused ? 1 : 0));
  gauge('raypher_updater_alert', 'Whether the last check raised an alert: a verification failure or the breaker open (1) or not (0)', (s) => (s.last_check?.alert ? 1 : 0));
  gauge('raypher_updater_installed_release', 'release_counter of the bundle the workers run (0: not from a bundle)', (s) => s.installed.release_counter);
  gauge('raypher_updater_available_release', 'release_counter of the newest release the last check saw (0: none seen)', (s) => s.available?.release_counter ?? 0);
  gauge('raypher_updater_staged_release', 'release_counter of the staged bundle (0: none staged)', (s) => s.staged?.release_counter ?? 0);
  gauge('raypher_updater_consecutive_failures', 'Failed checks in a row (the breaker opens at 3)', (s) => s.consecutive_failures);
  gauge('raypher_updater_last_check_timestamp_seconds', 'Unix time of the last check (0: never)', (s) => seconds(s.last_check?.at));
  gauge('raypher_updater_last_check_success', 'Whether the last check passed (1) or failed (0)', (s) => (s.last_check !== null && s.last_check.result !== 'failed' ? 1 : 0));
  gauge('raypher_updater_next_check_timestamp_seconds', 'Unix time of the next scheduled check (0: none scheduled)', (s) => seconds(s.next_check_at));
  new Gauge({
    name: 'raypher_updater_state',
    help: 'State of the updater (1 for the current state)',
    labelNames: ['state'],
    registers,
    collect() {
      const current = status().state;
      for (const st of UPDATER_STATES) this.set({ state: st }, st === current ? 1 : 0);
    },
  });
  const checks = new Counter({ name: 'raypher_updater_checks_total', help: 'Update checks by result (rejected: a verification or archive failure)', labelNames: ['result'], registers });
  for (const r of CHECK_RESULTS) checks.inc({ result: r }, 0);
  return { checks };
}

export type UpdaterMetrics = ReturnType<typeof updaterMetrics>;
