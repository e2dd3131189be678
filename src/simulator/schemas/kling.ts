/**
 * Kling's request schemas, field by field, for the simulator to validate the
 * bot's requests against. Sources (all read 2026-12-02):
 * - Omni-video (legacy): https://app.klingai.com/global/dev/document-api/apiReference/model/OmniVideo
 *   as mirrored by Comfy Router's reference for kling-v3-omni
 *   (https://docs.comfy.org/zh/development/comfy-router/models/kling/kling-v3-omni/code):
 *   `duration` a string "3"…"15"; `mode` std|pro; `aspect_ratio` 16:9|9:16|1:1; `prompt` ≤ 2,500 chars naming
 *   `<<<element_n>>>`; `element_list[].element_id` **integer (int64)**; `external_task_id` unique per account.
 * - Query by id: https://app.klingai.com/global/dev/document-api/apiReference/model/OmniVideo
 *   (`GET /v1/videos/omni-video/{task_id}`; "task_id and external_task_id: choose one of the two query methods").
 * - Elements: https://app.klingai.com/global/dev/document-api/apiReference/model/element (create with
 *   `element_name` ≤ 20, `element_description` ≤ 100, `reference_type`, `element_image_list` of 1 frontal +
 *   1–3 references); Tencent VOD's mirror CreateAigcAdvancedCustomElement
 *   (https://www.tencentcloud.com/document/product/266/79913) gives the same limits.
 * - Element deletion with `{element_id}`: community clients (docs/providers.md); *unconfirmed* in Kling's own page.
 * - Kling 3.0 omni format (`POST /omni-video/kling-3.0-omni`, `contents[]`, `settings`, `options`;
 *   `GET /tasks?task_ids=`): QuantumNous/new-api relay/channel/task/kling adaptor (read as reference, 2026-12-02).
 *   *Unconfirmed* against Kling's own page: the string type of `contents[].element_id`, the task status words,
 *   and the lookup by `external_task_ids`.
 * - Error codes: https://app.klingai.com/global/dev/document-api/protocols/errorCode (1000–1004 auth,
 *   1100–1103 account, 1200–1203 parameters, 1300–1304 policy, 5000–5002 server).
 */
import { z } from 'zod';

/** Kling's element ids are int64 JSON numbers. A string is a type error, as Kling's own validator says. */
export const elementId = z.number().int().nonnegative();

const imageField = z.string().min(1);

export const elementCreateSchema = z
  .object({
    element_name: z.string().min(1).max(20),
    element_description: z.string().max(100).optional(),
    reference_type: z.enum(['image_refer', 'video_refer']),
    element_image_list: z.object({
      frontal_image: imageField,
      refer_images: z.array(z.object({ image_url: imageField })).min(1).max(3),
    }),
    callback_url: z.string().url().optional(),
    external_task_id: z.string().optional(),
  })
  .strict();

/** *Unconfirmed*: community clients send one `element_id`; the bot deletes one element at a time. */
export const elementDeleteSchema = z.object({ element_id: elementId }).strict();

const DURATIONS = ['3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15'] as const;

export const omniVideoSchema = z
  .object({
    model_name: z.string().min(1).default('kling-v3-omni'),
    prompt: z.string().min(1).max(2_500),
    element_list: z.array(z.object({ element_id: elementId }).strict()).max(7).optional(),
    image_list: z.array(z.object({ image_url: z.string().min(1), type: z.enum(['first_frame', 'end_frame']).optional() })).optional(),
    mode: z.enum(['std', 'pro']).default('pro'),
    // A string on this endpoint (an integer is refused).
    duration: z.enum(DURATIONS).default('5'),
    aspect_ratio: z.enum(['16:9', '9:16', '1:1']).optional(),
    callback_url: z.string().url().optional(),
    external_task_id: z.string().min(1).optional(),
  })
  .strict();

const omni30Content = z.discriminatedUnion('type', [
  z.object({ type: z.literal('prompt'), text: z.string().min(1).max(2_500) }).strict(),
  // *Unconfirmed*: the relay sends element_id as a string here (unlike the legacy int64).
  z.object({ type: z.literal('element'), element_id: z.string().regex(/^\d+$/), id: z.string().min(1) }).strict(),
  z.object({ type: z.enum(['first_frame', 'last_frame', 'refer_image', 'feature_video', 'base_video']), url: z.string().min(1), id: z.string().optional() }).strict(),
]);

export const omni30Schema = z
  .object({
    contents: z.array(omni30Content).min(1),
    settings: z
      .object({
        resolution: z.enum(['720p', '1080p', '4k']).optional(),
        // An integer on this endpoint.
        duration: z.number().int().min(3).max(15).optional(),
        audio: z.enum(['native', 'original', 'off']).optional(),
        aspect_ratio: z.enum(['16:9', '9:16', '1:1']).optional(),
        multi_shot: z.boolean().optional(),
      })
      .strict()
      .optional(),
    options: z
      .object({
        external_task_id: z.string().min(1).optional(),
        callback_url: z.string().url().optional(),
        watermark_info: z.object({ enabled: z.boolean() }).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type OmniVideoBody = z.infer<typeof omniVideoSchema>;
export type Omni30Body = z.infer<typeof omni30Schema>;
