/**
 * fal's error vocabulary as core error kinds.
 *
 * - Validation errors (422) are FastAPI's `{detail:[{loc:["body", field, …], msg, type}]}`
 *   (https://fal.ai/docs/documentation/model-apis/errors). A `content_policy_violation` is moderation.
 *   Any other rejection of a request the bot built is the bot's problem (`rejected_request`), unless
 *   `loc` names an option the user chose for this job (`duration` after `--seconds`): then the user
 *   can change it (`invalid_input` with `field`).
 * - Request-level errors are `{detail, error_type}` with the same value in `X-Fal-Error-Type`
 *   (https://fal.ai/docs/documentation/model-apis/request-errors); `X-Fal-Retryable` says whether
 *   asking again can help, so `false` is never retried.
 */
import type { UserChosenField } from '../core/errors.js';
import type { Logger } from '../log.js';
import { headerValue, safeProviderCode, type ErrorAnswer, type ErrorClassification } from './http/errors.js';

/** fal input fields that carry an option the user picks. */
const USER_FIELDS: Record<string, UserChosenField> = { duration: 'seconds', aspect_ratio: 'orientation', resolution: 'resolution', generate_audio: 'audio' };

interface ValidationItem {
  loc: unknown[];
  msg: string;
  type: string;
}

function validationItems(body: unknown): ValidationItem[] {
  const detail = body && typeof body === 'object' ? (body as { detail?: unknown }).detail : undefined;
  if (!Array.isArray(detail)) return [];
  return detail
    .filter((d): d is Record<string, unknown> => Boolean(d) && typeof d === 'object')
    .map((d) => ({ loc: Array.isArray(d.loc) ? d.loc : [], msg: typeof d.msg === 'string' ? d.msg.slice(0, 200) : '', type: typeof d.type === 'string' ? d.type : '' }));
}

/** What fal said about retrying: `X-Fal-Retryable`, when sent. */
export function falRetryable(headers: ErrorAnswer['headers']): boolean | undefined {
  const v = headerValue(headers, 'x-fal-retryable')?.trim().toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : undefined;
}

export interface FalClassifierContext {
  backend: string;
  logger: Logger;
  operation: string;
  /** Options the user chose for this job; absent outside a submit. */
  userChose?: readonly UserChosenField[] | undefined;
}

export function falClassifier(ctx: FalClassifierContext): (answer: ErrorAnswer) => ErrorClassification | undefined {
  return (answer) => {
    const body = answer.body && typeof answer.body === 'object' ? (answer.body as Record<string, unknown>) : {};
    const errorType = safeProviderCode(body.error_type) ?? safeProviderCode(headerValue(answer.headers, 'x-fal-error-type'));
    const retryable = falRetryable(answer.headers);
    const items = validationItems(answer.body);
    const out: ErrorClassification = {
      ...(errorType !== undefined && { providerCode: errorType }),
      ...(retryable !== undefined && { replay: retryable }),
    };
    if (answer.kind !== 'invalid_input' && answer.kind !== 'rejected_request') return out;
    // The generic mapping called it the user's input; decide whose it really is.
    const named = items.map((i) => (typeof i.loc[1] === 'string' ? USER_FIELDS[i.loc[1]] : undefined));
    const field = named.find((f): f is UserChosenField => f !== undefined && (ctx.userChose ?? []).includes(f));
    if (field && named.every((f) => f === field)) return { ...out, kind: 'invalid_input', field };
    ctx.logger.error(
      { backend: ctx.backend, operation: ctx.operation, status: answer.status, errorType, detail: items.slice(0, 5).map((i) => ({ loc: i.loc.slice(0, 4), type: i.type, msg: i.msg })) },
      'fal rejected a request the bot built',
    );
    return { ...out, kind: 'rejected_request', ...(items[0]?.type && { providerCode: safeProviderCode(items[0].type) ?? errorType }) };
  };
}
