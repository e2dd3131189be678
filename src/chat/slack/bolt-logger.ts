/**
 * Bolt logs through our pino logger, so its lines pass the same secret
 * scrubbing as ours (Bolt can log request URLs and payloads at debug level).
 */
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../log.js';

export function boltLogger(logger: Logger): BoltLogger {
  const log = logger.child({ component: 'bolt' });
  let level: LogLevel = LogLevel.INFO;
  const text = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  // Formatted only when the level is on: Bolt and its Socket Mode client log every envelope at debug,
  // and stringifying each one cost the acknowledgements of a burst their time.
  return {
    debug: (...msg) => void (log.isLevelEnabled('debug') && log.debug(text(msg))),
    info: (...msg) => void (log.isLevelEnabled('info') && log.info(text(msg))),
    warn: (...msg) => log.warn(text(msg)),
    error: (...msg) => log.error(text(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
