/** Structured logging. Lines are JSON; fields and messages pass both redaction nets before they are written. */
import { redact, type SecretSet } from './redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * A logger that writes one JSON line per record through `write` (stderr on Node: stdout belongs to the
 * MCP stdio protocol).
 */
export function createLogger(
  write: (line: string) => void,
  opts: { level?: LogLevel; secrets?: SecretSet; now?: () => number } = {},
): Logger {
  const min = RANK[opts.level ?? 'info'];
  const now = opts.now ?? Date.now;
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    const record = {
      t: new Date(now()).toISOString(),
      level,
      msg,
      ...(fields ? (redact(fields) as object) : {}),
    };
    const line = JSON.stringify(record, errorReplacer);
    write(opts.secrets ? opts.secrets.scrub(line) : line);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
