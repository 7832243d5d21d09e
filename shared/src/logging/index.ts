// JSON-lines logging with winston: one rotating file per process, stdout in the foreground, always redacted.
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { join } from 'node:path';
import { redactString, redactValue } from './redact.js';
import { LOG_REPEAT_LIMITS, RepeatLimiter, repeatedSuffix } from './repeat-limiter.js';

export { redactString, REDACTED } from './redact.js';

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
  /** Identical warn/error lines within this window are collapsed into one summary; LOG_REPEAT_LIMITS.windowMs by default. */
  repeatWindowMs?: number;
}

/** Only these levels are collapsed: a fuzzer or a flood repeats warnings; info lines (requests, lifecycle) stay one per event. */
const COLLAPSED_LEVELS: ReadonlySet<string> = new Set(['warn', 'error']);
/** Marks the summary line, so it passes the repeat filter it comes from. */
const SUMMARY = Symbol('raypher.log.repeatSummary');
/** Where closeLogger finds the limiter of a logger made by createLogger. */
const REPEATS = Symbol('raypher.log.repeats');

type LogEntry = Record<string, unknown> & { level: string; message: unknown };
type LoggerWithRepeats = Logger & { [REPEATS]?: { close(): void } };

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    (info as Record<string, unknown>)[key] = key === 'message' && typeof info.message === 'string' ? redactString(info.message) : redactValue(info[key]);
  }
  return info;
});

// First in the chain, so the key is the line as the caller wrote it (no timestamp yet, not yet redacted).
function repeatFormat(limiter: RepeatLimiter<LogEntry>): winston.Logform.Format {
  return winston.format((info) => {
    if (!COLLAPSED_LEVELS.has(info.level) || (info as { [SUMMARY]?: boolean })[SUMMARY]) return info;
    const entry: LogEntry = { ...Object.fromEntries(Object.entries(info)), level: info.level, message: info.message };
    const key = lineKey(entry);
    return key === null || limiter.admit(key, entry) ? info : false;
  })();
}

function lineKey(entry: LogEntry): string | null {
  try {
    return JSON.stringify(entry);
  } catch {
    return null; // cycles or BigInt: written as is, never collapsed
  }
}

export function createLogger(opts: LoggerOptions): Logger {
  const windowMs = opts.repeatWindowMs ?? LOG_REPEAT_LIMITS.windowMs;
  let logger: Logger | null = null;
  const limiter = new RepeatLimiter<LogEntry>({
    windowMs,
    maxTracked: LOG_REPEAT_LIMITS.maxTracked,
    onRepeated: (entry, count) => logger?.log({ ...entry, message: `${String(entry.message)}${repeatedSuffix(count)}`, repeated: count, [SUMMARY]: true }),
  });
  const format = winston.format.combine(repeatFormat(limiter), winston.format.timestamp(), redactFormat(), winston.format.json());
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
  const created: LoggerWithRepeats = winston.createLogger({ level: opts.level, defaultMeta: { process: opts.process }, format, transports });
  logger = created;
  const timer = setInterval(() => limiter.flush(), windowMs);
  timer.unref();
  created[REPEATS] = {
    close: () => {
      clearInterval(timer);
      limiter.flush(true);
    },
  };
  return created;
}

/** Finds the newest log file of a process (for `raypherctl logs`). */
export function logFilePrefix(processName: string): string {
  return `${processName}-`;
}

/** Writes pending repeat summaries and flushes file transports before the process exits. */
export function closeLogger(logger: Logger): Promise<void> {
  (logger as LoggerWithRepeats)[REPEATS]?.close();
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
