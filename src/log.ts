import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Header and field names whose values never reach a log line. */
const REDACT_PATHS = [
  'authorization',
  'Authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  '*.headers["x-goog-api-key"]',
  '*.headers["api-key"]',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
];

export interface LogOptions {
  level: string;
  /** Literal secret values (API keys, bot tokens, signing secrets) scrubbed from every line. */
  secrets: string[];
  /** Defaults to stdout; tests pass a capture stream. */
  destination?: DestinationStream;
  pretty?: boolean;
  /** File descriptor for the default destination: 1 (stdout) or 2 (stderr). */
  fd?: 1 | 2;
  /**
   * While the console owns the terminal: every line goes to this file, and
   * warnings and errors also reach `screen` as one short sentence each.
   */
  file?: { path: string; screen: (text: string) => void };
}

/**
 * JSON logs, pretty only on a TTY. Besides pino's path-based redaction, every
 * serialized line is scrubbed of the literal secret values: a key can hide in a
 * URL, an error message or a provider's echo of our request, where no path
 * rule would find it.
 */
export function createLogger(options: LogOptions): Logger {
  const secrets = options.secrets.filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
  const scrub = (line: string): string => {
    let out = line;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  };
  const base = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: { streamWrite: scrub },
  } as const;
  if (options.destination) return pino(base, options.destination);
  if (options.file) {
    const { path, screen } = options.file;
    // Synchronous: a console session is short and its last lines matter most when it stops.
    const file = pino.destination({ dest: path, mkdir: true, sync: true });
    const warnings = { write: (line: string) => screen(screenLine(line, path)) };
    return pino(base, pino.multistream([{ level: options.level as pino.Level, stream: file }, { level: 'warn', stream: warnings }]));
  }
  const fd = options.fd ?? 1;
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss', destination: fd } } });
  }
  return pino(base, pino.destination({ fd, sync: false }));
}

/** `warning: could not reach fal (details in data/bot.log)`: the log line's message, without its fields. */
function screenLine(line: string, file: string): string {
  let parsed: { level?: number; msg?: string } = {};
  try {
    parsed = JSON.parse(line) as typeof parsed;
  } catch {
    // Not JSON: show it as it came.
  }
  const label = (parsed.level ?? 40) >= 50 ? 'error' : 'warning';
  return `${label}: ${parsed.msg ?? line.trim()} (details in ${file})`;
}

/** A logger that writes nowhere, for library-level defaults. */
export const silentLogger: Logger = pino({ level: 'silent' });
