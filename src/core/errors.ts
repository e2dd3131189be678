/**
 * Two kinds of failure cross the core's boundary:
 * - `ProviderError`: a backend said no. Typed by kind so the router and the job
 *   runner decide retry / fall back / give up from data, not from message text.
 * - `UserFacingError`: a sentence for the person who typed the command. It never
 *   carries provider internals; those go to the log through `cause`.
 * - `StoreUnavailable`: the store could not be reached for now (no pooled
 *   connection in time, a dropped connection). A job step that meets it is
 *   tried again later instead of failing the job: recording a failure needs
 *   the same store.
 */

import { plainText, type Markup } from './markup.js';
import { msg, render, type Message } from './messages.js';

export type ProviderErrorKind =
  | 'auth' // key missing, expired or revoked (401/403)
  | 'quota' // account out of credit or over a hard limit
  | 'rate_limit' // 429; retry after the hinted delay
  | 'moderation' // input or output blocked by the provider's safety system
  | 'invalid_input' // the provider rejected a value the USER chose (`field` says which); the user can change it
  | 'rejected_request' // the provider rejected a request the BOT built (a schema mismatch): the bot's problem, never the user's
  | 'binding_missing' // the provider no longer knows a stored character id / element / subject: recreate it once and resubmit
  | 'not_found' // the provider no longer knows this id (404)
  | 'expired' // a result URL that lived out its lifetime
  | 'too_large' // a result above our download cap
  | 'transient'; // 5xx, timeouts, resets: worth another try or another backend

/** Options a user picks that a provider may refuse; the user can change exactly these. */
export type UserChosenField = 'seconds' | 'orientation' | 'resolution' | 'audio' | 'image' | 'prompt';

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly backend: string;
  readonly status: number | undefined;
  readonly providerCode: string | undefined;
  readonly retryAfterMs: number | undefined;
  /** Provider request id, for the log only. */
  readonly requestId: string | undefined;
  /** For `invalid_input`: the user-chosen option the provider named, when its answer names one. */
  readonly field: UserChosenField | undefined;

  constructor(init: {
    kind: ProviderErrorKind;
    backend: string;
    message: string;
    status?: number;
    providerCode?: string;
    retryAfterMs?: number;
    requestId?: string;
    field?: UserChosenField;
    cause?: unknown;
  }) {
    super(init.message, { cause: init.cause });
    this.name = 'ProviderError';
    this.kind = init.kind;
    this.backend = init.backend;
    this.status = init.status;
    this.providerCode = init.providerCode;
    this.retryAfterMs = init.retryAfterMs;
    this.requestId = init.requestId;
    this.field = init.field;
  }

  /** Worth submitting again to the same backend after a pause. */
  get retryable(): boolean {
    return this.kind === 'transient' || this.kind === 'rate_limit';
  }

  /** Another backend may succeed where this one failed. Moderation and bad input would fail anywhere. */
  get fallbackWorthy(): boolean {
    return this.kind === 'transient' || this.kind === 'rate_limit' || this.kind === 'auth' || this.kind === 'quota';
  }
}

/**
 * A refusal or failure for the person who asked, as a message (code and
 * parameters) each surface renders in the reader's language and syntax.
 * `code` is the failure's kind, kept with a failed job; it is the message's
 * code unless given. The English text is the Error's message, for the log.
 */
export class StoreUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailable';
  }
}

export class UserFacingError extends Error {
  readonly said: Message;
  readonly code: string;

  constructor(said: Message, options?: { code?: string; cause?: unknown });
  /** A sentence not yet given a message code (English only). */
  constructor(code: string, userMessage: string, options?: { cause?: unknown });
  constructor(first: Message | string, second?: string | { code?: string; cause?: unknown }, third?: { cause?: unknown }) {
    const said: Message = typeof first === 'string' ? { code: 'text', params: { en: String(second) } } : first;
    const options = typeof second === 'object' ? second : third;
    const english = render(said, plainText);
    super(english, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'UserFacingError';
    this.said = said;
    this.code = typeof first === 'string' ? first : ((second as { code?: string } | undefined)?.code ?? said.code);
  }

  /** The sentence in English plain text (logs, and tests that read it). */
  get userMessage(): string {
    return this.message;
  }

  /** The sentence for a reader, in their language and their platform's syntax. */
  sentence(m: Markup): string {
    return render(this.said, m);
  }
}

/**
 * What a person reads when a provider fails, as a message (message-codes-outcomes.ts): deliberately
 * free of provider wording, and a request the bot built never reads as the person's fault.
 */
export function describeProviderFailure(error: ProviderError, backendName: string): Message {
  return msg('failure.provider', { kind: error.kind, backendName, ...(error.field && { field: error.field }) });
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR');
}
