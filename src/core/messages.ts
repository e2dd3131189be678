/**
 * What the bot says, as data: a message code and its parameters. The core
 * answers with these (a UserFacingError carries one, the presenters compose
 * them); each surface renders them for its platform (its markup and option
 * syntax) in the person's language, through the catalogs in src/messages/.
 * A code's parameters are typed (message-codes.ts), and every catalog must
 * cover every code: a missing Korean sentence is a compile error.
 */
import { CATALOGS } from '../messages/index.js';
import type { MessageParams } from './message-codes.js';
import type { Markup } from './markup.js';

export type { MessageParams } from './message-codes.js';

/** The languages the bot speaks; anything else is answered in English. */
export type Locale = 'en' | 'ko';
export const LOCALES: readonly Locale[] = ['en', 'ko'];

/**
 * A platform's language tag as our locale: Discord's `ko`
 * (discord.com/developers/docs/reference#locales), Slack's `ko-KR`
 * (api.slack.com/methods/users.info, `include_locale`), a POSIX `ko_KR.UTF-8`
 * from LANG. Unknown or missing tags fall back to English.
 */
export function resolveLocale(tag: string | undefined | null): Locale {
  const language = (tag ?? '').trim().toLowerCase().split(/[-_.@]/)[0];
  return language === 'ko' ? 'ko' : 'en';
}

/**
 * The console's language from the environment, in POSIX precedence
 * (pubs.opengroup.org/onlinepubs/9699919799/basedefs/V1_chap08.html):
 * LC_ALL over LC_MESSAGES over LANG. `C` and `POSIX` mean English.
 */
export function localeFromEnv(env: Record<string, string | undefined>): Locale {
  const tag = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v !== undefined && v !== '');
  return resolveLocale(tag);
}

export type MessageCode = keyof MessageParams;

/** One message: its code and that code's parameters. */
export type Message = { [K in MessageCode]: { code: K; params: MessageParams[K] } }[MessageCode];

/** Sentences for a set of codes, in the surface's markup (a catalog is split by area). */
export type Sentences<P> = { [K in keyof P]: (params: P[K], m: Markup) => string };

/** One language's words: a sentence for every code. */
export type Catalog = Sentences<MessageParams>;

/** Builds a message with its parameters checked against its code. */
export function msg<K extends MessageCode>(code: K, ...params: MessageParams[K] extends Record<string, never> ? [] : [MessageParams[K]]): Message {
  return { code, params: (params[0] ?? {}) as MessageParams[K] } as Message;
}

/** The message in the markup's language and syntax. */
export function render(message: Message, m: Markup): string {
  const catalog: Catalog = CATALOGS[m.locale];
  const sentence = catalog[message.code] as (params: unknown, m: Markup) => string;
  return sentence(message.params, m);
}

/** Shorthand for presenters: `t('job.cancelled', {...})` in the markup's language. */
export function words(m: Markup): <K extends MessageCode>(code: K, ...params: MessageParams[K] extends Record<string, never> ? [] : [MessageParams[K]]) => string {
  return (code, ...params) => render(msg(code, ...params), m);
}
