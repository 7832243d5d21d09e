// Talks to systemd's notify socket: READY=1, STATUS=, WATCHDOG=1 from our own event loop, STOPPING=1.
import type { RaypherEnv } from '@raypher/shared/config';
import type { Logger } from '@raypher/shared/logging';
import { sendNotify } from '@raypher/shared/native';

export class ServiceNotifier {
  private watchdog: NodeJS.Timeout | undefined;
  private lastStatus = '';
  private warned = false;

  constructor(private readonly env: RaypherEnv, private readonly logger: Logger, private readonly send = sendNotify) {}

  get enabled(): boolean {
    return this.env.NOTIFY_SOCKET !== undefined;
  }

  ready(): void {
    this.notify('READY=1');
  }

  status(text: string): void {
    if (text === this.lastStatus) return;
    this.lastStatus = text;
    this.notify(`STATUS=${text}`);
  }

  stopping(): void {
    this.stopWatchdog();
    this.notify('STOPPING=1');
  }

  /** Pings every WATCHDOG_USEC/2 when systemd asked for a watchdog (and it is meant for this pid). */
  startWatchdog(pid: number): void {
    const usec = Number(this.env.WATCHDOG_USEC);
    if (!this.enabled || !Number.isFinite(usec) || usec <= 0) return;
    if (this.env.WATCHDOG_PID !== undefined && Number(this.env.WATCHDOG_PID) !== pid) return;
    const everyMs = Math.max(1, Math.floor(usec / 2000));
    this.notify('WATCHDOG=1');
    this.watchdog = setInterval(() => this.notify('WATCHDOG=1'), everyMs);
  }

  stopWatchdog(): void {
    clearInterval(this.watchdog);
  }

  private notify(message: string): void {
    const socket = this.env.NOTIFY_SOCKET;
    if (!socket) return;
    try {
      this.send(socket, message);
    } catch (err) {
      if (!this.warned) this.logger.warn('sd_notify failed', { error: (err as Error).message });
      this.warned = true;
    }
  }
}
