/**
 * Slack's escaping of slash-command text. With `should_escape` on (the
 * manifest sets it, so `--user @alice` arrives as a user id), Slack rewrites
 * links as `<https://…|label>`, channels as `<#C…|name>`, users as
 * `<@U…|name>` and HTML-escapes `&`, `<` and `>`
 * (https://api.slack.com/interactivity/slash-commands#creating_commands).
 */

const LINK = /<((?:https?|mailto):[^|>\s]+)(?:\|[^>]*)?>/g;
const CHANNEL = /<#[A-Z0-9]+(?:\|([^>]*))?>/g;
const SPECIAL = /<!(here|channel|everyone)(?:\|[^>]*)?>/g;
const USER = /<@([A-Z0-9]+)(?:\|([^>]*))?>/g;

/**
 * Makes text safe to show in any Slack message: `&`, `<` and `>` are the
 * only characters Slack's markup needs escaped, and with them escaped a
 * user's text cannot carry a link (`<https://…|Open your video>`), a mention
 * or a `<!channel>` ping (https://api.slack.com/reference/surfaces/formatting#escaping).
 * Every message text that holds a member's words (a prompt, a character's
 * name or description, a display name, a sentence that echoes them) passes here.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Unwraps links and channel mentions; leaves user mentions for option-aware handling. */
export function unescapeSlackText(text: string): string {
  return text
    .replace(LINK, (_m, url: string) => url)
    .replace(CHANNEL, (_m, name: string | undefined) => (name ? `#${name}` : '#channel'))
    .replace(SPECIAL, (_m, word: string) => `@${word}`)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * In free text (a prompt, a character name) a user mention is what the person
 * typed as a character: `<@U123|mascot>` → `@mascot`. Without a label Slack
 * gives only the id; `nameOf` maps it to the member's handle, the best guess
 * at what was typed.
 */
export function mentionsToNames(text: string, nameOf: (userId: string) => string | undefined): string {
  return text.replace(USER, (_m, id: string, label: string | undefined) => `@${label || nameOf(id) || id}`);
}

/** User ids mentioned without a label, which need a users.info lookup before `mentionsToNames`. */
export function unlabelledMentions(text: string): string[] {
  return [...text.matchAll(USER)].filter((m) => !m[2]).map((m) => m[1]!);
}
