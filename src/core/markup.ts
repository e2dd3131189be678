/**
 * How a surface writes: its marks, how it names an option, and the language
 * of the person it is writing to. The core's messages (messages.ts) render
 * through one of these, so each platform shows its own option syntax.
 */
import type { Locale } from './messages.js';

export interface Markup {
  bold(text: string): string;
  /** An id or a value the user can copy. */
  code(text: string): string;
  /** How the user names an option with a value on this surface: `--backend kling`, `backend:kling`. */
  option(name: string, value: string): string;
  /** How the user names an option without its value: `--backend`, `backend`. */
  flag(name: string): string;
  /** The language of the reader. */
  locale: Locale;
}

/** The console: no markup at all. */
export const plainText: Markup = { bold: (t) => t, code: (t) => t, option: (n, v) => `--${n} ${v}`, flag: (n) => `--${n}`, locale: 'en' };

/** Slack's mrkdwn, with the shared text syntax. */
export const chatMarkdown: Markup = { bold: (t) => `*${t}*`, code: (t) => `\`${t}\``, option: (n, v) => `\`--${n} ${v}\``, flag: (n) => `\`--${n}\``, locale: 'en' };

/** Discord: the same marks, with options as Discord's command form shows them (`backend:kling`). */
export const discordMarkdown: Markup = { ...chatMarkdown, option: (n, v) => `\`${n}:${v}\``, flag: (n) => `\`${n}\`` };

/** The same markup for a reader of another language. */
export function inLocale(m: Markup, locale: Locale): Markup {
  return m.locale === locale ? m : { ...m, locale };
}
