// JSON-lines logging with winston: one rotating file per process, stdout in the foreground, always redacted.
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { join } from 'node:path';
import { redactString, redactValue } from './redact.js';

export { redactString, redactValue, REDACTED } from './redact.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type Logger = winston.Logger;

export interface LoggerOptions {
  /** Process name; also the log file's name: <dir>/<process>-<date>.log */
  process: string;
  dir: string;
  level: LogLevel;
  rotation: 'daily' | 'hourly';
  retentionDays: number;
  /** Also write to stdout (foreground runs). */
  console: boolean;
}

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    (info as Record<string, unknown>)[key] = key === 'message' && typeof info.message === 'string' ? redactString(info.message) : redactValue(info[key]);
  }
  return info;
});

export function createLogger(opts: LoggerOptions): Logger {
  const format = winston.format.combine(winston.format.timestamp(), redactFormat(), winston.format.json());
  const transports: winston.transport[] = [
    new DailyRotateFile({
      dirname: opts.dir,
      filename: `${opts.process}-%DATE%.log`,
      datePattern: opts.rotation === 'hourly' ? 'YYYY-MM-DD-HH' : 'YYYY-MM-DD',
      maxFiles: `${opts.retentionDays}d`,
      auditFile: join(opts.dir, `.${opts.process}-audit.json`),
      options: { flags: 'a', mode: 0o600 },
    }),
  ];
  if (opts.console) transports.push(new winston.transports.Console());
  return winston.createLogger({ level: opts.level, defaultMeta: { process: opts.process }, format, transports });
}

/** Finds the newest log file of a process (for `raypherctl logs`). */
export function logFilePrefix(processName: string): string {
  return `${processName}-`;
}

/** Flushes file transports before the process exits. */
export function closeLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000);
    timer.unref();
    logger.on('finish', () => {
      clearTimeout(timer);
      resolve();
    });
    logger.end();
  });
}
