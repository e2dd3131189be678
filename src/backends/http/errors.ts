/**
 * How a provider's HTTP failure becomes a `ProviderError` kind. Every backend
 * shares this table, so "what does a 429 / a `moderation_blocked` / a dropped
 * socket mean" is answered once.
 */
import { ProviderError, type ProviderErrorKind, type UserChosenField } from '../../core/errors.js';

/** Codes providers use for safety blocks. `moderation_blocked` is OpenAI's (observed); fal uses `content_policy_violation`. */
const MODERATION_CODES = new Set([
  'moderation_blocked',
  'content_policy_violation',
  'content_filter',
  'content_violation',
  'safety_violation',
  'moderation',
]);

/** Out-of-credit codes. OpenAI answers `insufficient_quota` with HTTP 429, which must not be retried. */
const QUOTA_CODES = new Set([
  'insufficient_quota',
  'billing_hard_limit_reached',
  'quota_exceeded',
  'insufficient_balance',
  'insufficient_credits',
  'payment_required',
]);

/**
 * The provider no longer knows a stored character id, element or subject. OpenAI-shaped APIs answer
 * `character_not_found` (the simulator, and resellers, use that word; the exact code is not published).
 */
const BINDING_MISSING_CODES = new Set(['character_not_found', 'element_not_found', 'subject_not_found', 'cameo_not_found']);

/**
 * Codes that say the request's *shape* was wrong (a wrong JSON type, a missing or unknown
 * parameter): the bot built it, so it is never the user's fault, whichever field it names.
 * OpenAI: `invalid_type`, `missing_required_parameter`, `unknown_parameter`; pydantic (fal's 422
 * `detail[].type`): `int_parsing`, `string_type`, `missing`, `extra_forbidden`, ….
 */
function isShapeError(code: string | undefined): boolean {
  if (!code) return false;
  return /(^|_)(type|parsing|missing|extra_forbidden)$/.test(code) || code === 'missing_required_parameter' || code === 'unknown_parameter';
}

/**
 * Provider parameter names that carry a choice the user made. A rejection naming one of these
 * (and not for its type) is something the user can change; any other rejection is the bot's.
 */
export const USER_CHOSEN_PARAMS: Readonly<Record<string, UserChosenField>> = {
  seconds: 'seconds',
  duration: 'seconds',
  size: 'orientation',
  aspect_ratio: 'orientation',
  orientation: 'orientation',
  resolution: 'resolution',
  quality: 'resolution',
  mode: 'resolution',
  generate_audio: 'audio',
  audio: 'audio',
  prompt: 'prompt',
  input_reference: 'image',
  image: 'image',
  image_url: 'image',
};

/** The parameter a rejection names: OpenAI `error.param`, a flat `param`, or pydantic's `detail[].loc`. */
export function providerParamFromBody(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  const error = record.error && typeof record.error === 'object' ? (record.error as Record<string, unknown>) : undefined;
  const direct = safeProviderCode(error?.param) ?? safeProviderCode(record.param);
  if (direct) return direct;
  if (Array.isArray(record.detail)) {
    for (const d of record.detail) {
      const loc = d && typeof d === 'object' ? (d as Record<string, unknown>).loc : undefined;
      if (!Array.isArray(loc)) continue;
      const name = [...loc].reverse().find((part) => typeof part === 'string' && part !== 'body');
      if (typeof name === 'string') return safeProviderCode(name);
    }
  }
  return undefined;
}

/** The first specific code in the body: the shape of a pydantic detail wins over the generic `{code}`. */
function detailCode(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const detail = (body as Record<string, unknown>).detail;
  if (!Array.isArray(detail)) return undefined;
  const first = detail.find((d) => d && typeof d === 'object');
  return first ? safeProviderCode((first as Record<string, unknown>).type) : undefined;
}

/**
 * A validation answer (400, 409, 422 …) to a request the bot built: `invalid_input` with the
 * user's `field` only when the answer names a parameter the user chose and objects to its value;
 * otherwise `rejected_request`, the bot's problem.
 */
export function classifyRejection(
  code: string | undefined,
  param: string | undefined,
  userParams: Readonly<Record<string, UserChosenField>> = USER_CHOSEN_PARAMS,
): { kind: 'invalid_input' | 'rejected_request'; field?: UserChosenField } {
  const leaf = param?.split('.').filter((p) => !/^\d+$/.test(p)).pop();
  const field = leaf !== undefined && Object.hasOwn(userParams, leaf) ? userParams[leaf] : undefined;
  if (field && !isShapeError(code)) return { kind: 'invalid_input', field };
  return { kind: 'rejected_request' };
}

/** Provider codes are echoed into logs and errors; keep only plain identifiers so no free text (or key) rides along. */
export function safeProviderCode(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(value) ? value : undefined;
}

/** Extracts an error code from the error-body shapes we meet: OpenAI `{error:{code,type}}`, `{code}`, fal `{detail:[{type}]}`. */
export function providerCodeFromBody(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (error && typeof error === 'object') {
    const e = error as Record<string, unknown>;
    return safeProviderCode(e.code) ?? safeProviderCode(e.type);
  }
  // fal's request-level errors name their category `error_type`.
  const direct = safeProviderCode(record.code) ?? safeProviderCode(record.type) ?? safeProviderCode(record.error_type);
  if (direct) return direct;
  if (Array.isArray(record.detail)) {
    for (const d of record.detail) {
      const code = d && typeof d === 'object' ? safeProviderCode((d as Record<string, unknown>).type) : undefined;
      if (code) return code;
    }
  }
  return undefined;
}

/** Maps a provider error code (from an HTTP body or a failed job) to a kind, when the code alone decides. */
export function kindForProviderCode(code: string | undefined): ProviderErrorKind | undefined {
  if (!code) return undefined;
  const c = code.toLowerCase();
  if (MODERATION_CODES.has(c)) return 'moderation';
  if (QUOTA_CODES.has(c)) return 'quota';
  if (BINDING_MISSING_CODES.has(c)) return 'binding_missing';
  return undefined;
}

export function kindForHttpStatus(status: number, code: string | undefined): ProviderErrorKind {
  const byCode = kindForProviderCode(code);
  if (byCode) return byCode;
  if (status === 401 || status === 403) return 'auth';
  if (status === 402) return 'quota';
  if (status === 429) return 'rate_limit';
  if (status === 404) return 'not_found';
  if (status === 413) return 'too_large';
  if (status === 408 || status === 425 || status >= 500) return 'transient';
  // 400, 409, 422 and any other 4xx: the request itself is wrong. Whose fault that is depends on
  // what the answer names (classifyRejection); on the status alone it is the bot's.
  return 'rejected_request';
}

/** Network-level failures that are worth another attempt (undici and Node socket codes). */
const TRANSIENT_NETWORK_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_REQ_RETRY',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A request that never got an HTTP answer: always `transient`; the message names the socket code only when it is a known one. */
export function networkFailure(backend: string, operation: string, error: unknown): ProviderError {
  const code = networkErrorCode(error);
  const known = code !== undefined && TRANSIENT_NETWORK_CODES.has(code);
  return new ProviderError({
    kind: 'transient',
    backend,
    message: `${backend} ${operation}: ${known ? code : 'network failure'}`,
    cause: error,
  });
}

export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export interface HttpAnswer {
  backend: string;
  operation: string;
  status: number;
  /** The response body as text ('' when it did not arrive). */
  text: string;
  headers: Record<string, string | string[] | undefined>;
  /** Per-call overrides of the status → kind mapping (a 404 on a download means `expired`). */
  statusKinds?: Partial<Record<number, ProviderErrorKind>>;
  /** Provider parameter → the user's option, for this call (default USER_CHOSEN_PARAMS). */
  userParams?: Readonly<Record<string, UserChosenField>>;
  /** The wait hint, parsed by the caller (it owns the clock). */
  retryAfterMs?: (kind: ProviderErrorKind) => number | undefined;
  /** The provider's own error table, consulted before the generic status rules (see ProviderHttpOptions.classify). */
  classify?: ErrorClassifier;
  /** One call's reading of its provider's own error vocabulary (see `ProviderCall.refine`). */
  refine?: (answer: ErrorAnswer) => ErrorClassification | undefined;
  /** Called with the error when `refine` says asking again cannot help (`replay: false`). */
  doNotReplay?: (error: ProviderError) => void;
}

/** A provider's error answer as a call's `refine` sees it. */
export interface ErrorAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** The kind the generic mapping chose. */
  kind: ProviderErrorKind;
}

/** What a call's `refine` changes: kind, provider code, the user's field, and whether to retry. */
export interface ErrorClassification {
  kind?: ProviderErrorKind;
  providerCode?: string;
  field?: UserChosenField;
  replay?: boolean;
}

/**
 * A provider's own error table: Kling answers "account in arrears" with HTTP 429 and a numeric `code`,
 * which the status alone would call a rate limit.
 */
export type ErrorClassifier = (status: number, body: unknown) => { kind: ProviderErrorKind; code?: string } | undefined;

/** The ProviderError for a non-2xx answer. The body never enters the message: it may echo our request (and key). */
export function httpFailure(answer: HttpAnswer): ProviderError {
  let parsed: unknown;
  try {
    parsed = answer.text ? JSON.parse(answer.text) : undefined;
  } catch {
    parsed = undefined;
  }
  const { status, backend } = answer;
  const own = answer.classify?.(status, parsed);
  const ownCode = own?.code ?? providerCodeFromBody(parsed);
  let base = answer.statusKinds?.[status] ?? own?.kind ?? kindForHttpStatus(status, ownCode);
  let field: UserChosenField | undefined;
  if (base === 'rejected_request' && own === undefined) {
    const verdict = classifyRejection(detailCode(parsed) ?? ownCode, providerParamFromBody(parsed), answer.userParams);
    base = verdict.kind;
    field = verdict.field;
  }
  const refined = answer.refine?.({ status, body: parsed, headers: answer.headers, kind: base });
  const code = refined?.providerCode ?? ownCode;
  const kind = refined?.kind ?? base;
  if (refined?.kind !== undefined && refined.kind !== base) field = undefined;
  const requestId = headerValue(answer.headers, 'x-request-id');
  const retryAfterMs = answer.retryAfterMs?.(kind);
  const error = new ProviderError({
    kind,
    backend,
    message: `${backend} ${answer.operation}: HTTP ${status}${code ? ` (${code})` : ''}`,
    status,
    ...(code !== undefined && { providerCode: code }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(requestId !== undefined && { requestId }),
    ...((refined?.field ?? field) !== undefined && { field: refined?.field ?? field }),
  });
  if (refined?.replay === false) answer.doNotReplay?.(error);
  return error;
}
