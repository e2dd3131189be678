/**
 * Shared pieces of the fal model schemas (src/simulator/schemas/fal-*.ts).
 *
 * Source: fal-js `libs/client/src/types/endpoints.ts` (github.com/fal-ai/fal-js, commit 381105e1),
 * fal's validation-error page https://fal.ai/docs/documentation/model-apis/errors and request-error page
 * https://fal.ai/docs/documentation/model-apis/request-errors — read 2026-12-02.
 *
 * File inputs are typed `string | Blob | File` in fal-js; on the wire they are URLs, and fal documents
 * base64 data URIs as file inputs too (https://fal.ai/docs/documentation/model-apis/inference/files).
 */
import { z } from 'zod';

/** A file input on the wire: an http(s) URL or a data URI. */
export const falFileUrl = z.string().refine((v) => /^https?:\/\//.test(v) || /^data:[a-z]+\/[a-z0-9.+-]+;base64,/.test(v), 'must be a URL or a base64 data URI');

/** A string-literal union (`"3" | "4" | …`) as fal-js declares it. */
export const literals = <T extends string | number>(values: readonly T[]) =>
  z.union(values.map((v) => z.literal(v)) as unknown as [z.ZodLiteral<T>, z.ZodLiteral<T>, ...z.ZodLiteral<T>[]]);

/** Integers lo..hi as a list. */
export const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

/**
 * One fal model input schema. fal's own pydantic models ignore unknown fields (unconfirmed);
 * the simulator refuses them (`strict`), deliberately stricter, so a misspelt field cannot pass
 * silently and drop a character's references.
 */
export interface FalModelSchema {
  /** fal model ids this schema validates (`owner/app/path`). */
  endpoints: readonly string[];
  schema: z.ZodType;
  /** Prompt tags that must point at a sent reference: `@Element1` → `elements`. */
  tags: readonly { tag: string; field: string }[];
  /** What a valid request makes: its resolution and whether it has sound, defaults as fal-js states them. */
  output: (body: Record<string, unknown>, endpoint: string) => { resolution: string; sound: boolean };
}

/** The usual reading: `resolution` and `generate_audio` as sent, else the model's defaults. */
export const outputWithDefaults =
  (defaults: { resolution: string; sound: boolean }) =>
  (body: Record<string, unknown>): { resolution: string; sound: boolean } => ({
    resolution: typeof body.resolution === 'string' ? body.resolution : defaults.resolution,
    sound: typeof body.generate_audio === 'boolean' ? body.generate_audio : defaults.sound,
  });

/** fal's 422 body (FastAPI/pydantic): `{detail:[{loc, msg, type}]}`, `loc` starting at `body`. */
export function falValidationBody(issues: readonly z.core.$ZodIssue[]): { detail: { loc: (string | number)[]; msg: string; type: string }[] } {
  return {
    detail: issues.flatMap((issue) => {
      const at = ['body', ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
      if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ loc: [...at, key], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }));
      const type = issue.code === 'invalid_type' ? 'type_error' : issue.code === 'invalid_value' || issue.code === 'invalid_union' ? 'literal_error' : 'value_error';
      return [{ loc: at, msg: issue.message, type }];
    }),
  };
}
