/**
 * One zod schema over the environment. Every variable is documented in
 * .env.example; an invalid value stops start-up with a sentence that names it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { usdToMicros } from './core/money.js';
import type { PriceOverride } from './core/pricing.js';
import type { Resolution, Sound } from './core/types.js';

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const url = (what: string) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    }, `must be an http(s) URL for ${what}`)
    .transform((v) => v.replace(/\/+$/, ''));

const optionalUrl = (what: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(url(what).optional());

const VERTEX_ID_MESSAGE =
  'is a Vertex AI model id (ending in -001); the Gemini API serves the preview ids, e.g. veo-3.1-generate-preview or veo-3.1-fast-generate-preview';

const usd = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .refine((v) => /^\$?\d{1,9}(\.\d+)?$/.test(v), 'must be a dollar amount such as 25 or 12.50')
    .transform((v) => usdToMicros(v));

const positiveInt = (fallback: number, max = 1_000_000) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`)
    .default(fallback);

/**
 * `fal-veo31.1080p.on=0.45,kling.720p=0.09`: per-second or per-video USD by backend, resolution and,
 * optionally, sound (`on`/`off`; without it, every sound the backend prices there). `standard` and
 * `high` still mean 720p and 1080p, as `--quality` does.
 */
const priceOverrides = z
  .string()
  .trim()
  .default('')
  .transform((v, ctx) => {
    const out: Record<string, PriceOverride> = {};
    for (const part of v.split(',').map((p) => p.trim()).filter(Boolean)) {
      const m = /^([a-z0-9_-]+)\.(standard|high|720p|1080p|4k)(?:\.(on|off))?=\$?(\d{1,6}(?:\.\d{1,6})?)$/.exec(part);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: `"${part}" must look like backend.resolution[.on|.off]=USD, e.g. openai.720p=0.12 or fal-veo31.1080p.off=0.25` });
        return z.NEVER;
      }
      const resolution: Resolution = m[2] === 'standard' ? '720p' : m[2] === 'high' ? '1080p' : (m[2] as Resolution);
      ((out[m[1]!] ??= {})[resolution] ??= {})[(m[3] as Sound | undefined) ?? 'any'] = usdToMicros(m[4]!);
    }
    return out;
  });

export const envSchema = z.object({
  DATA_DIR: z.string().trim().default('./data'),
  STORE_URL: optionalText.refine(
    (v) => v === undefined || /^(sqlite|redis|rediss|postgres|postgresql):\/\//.test(v),
    'must start with sqlite://, redis:// or postgres://',
  ),
  // Shared media (src/media/s3-storage.ts): s3://bucket/prefix keeps clips, frames and results in S3-compatible
  // storage. The AWS_* names are the SDK's own; read here so a test's environment reaches the client too.
  MEDIA_URL: optionalText.refine((v) => v === undefined || /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(v), 'must look like s3://bucket or s3://bucket/prefix'),
  AWS_ENDPOINT_URL_S3: optionalUrl('AWS_ENDPOINT_URL_S3'),
  AWS_REGION: optionalText,
  AWS_ACCESS_KEY_ID: optionalText,
  AWS_SECRET_ACCESS_KEY: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce.number({ error: 'must be a TCP port (0–65535)' }).int('must be a whole number').min(0).max(65535, 'must be a TCP port (0–65535)').default(8080),
  HTTP_HOST: z.string().trim().default('127.0.0.1'),
  PUBLIC_URL: optionalUrl('PUBLIC_URL'),

  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: url('OPENAI_BASE_URL').default('https://api.openai.com/v1'),
  OPENAI_VIDEO_MODEL: z.string().trim().min(1).default('sora-2'),
  OPENAI_AUTH_STYLE: z.enum(['bearer', 'azure-api-key']).default('bearer'),

  APIYI_API_KEY: optionalText,
  APIYI_BASE_URL: url('APIYI_BASE_URL').default('https://api.apiyi.com/v1'),
  APIYI_AUTH_HEADER: z.string().trim().min(1).default('Authorization'),
  APIYI_AUTH_SCHEME: z.string().trim().default('Bearer'),

  DEFAULT_MONTHLY_BUDGET_USD: usd('50'),
  DEFAULT_USER_MONTHLY_BUDGET_USD: usd('10'),
  ROUTING_POLICY: z.enum(['cost', 'stability']).default('cost'),
  PRICE_OVERRIDES: priceOverrides,
  REFERENCE_PRICE_BACKEND: z.string().trim().default('openai'),

  BACKEND_CONCURRENCY: positiveInt(4, 10_000),
  TENANT_CONCURRENCY: positiveInt(2, 10_000),
  JOB_DEADLINE_MINUTES: positiveInt(30, 24 * 60),
  // A job waiting for an admin's approval is released after this long without a decision.
  APPROVAL_TIMEOUT_HOURS: positiveInt(24, 24 * 30),
  MAX_RESULT_MB: positiveInt(500, 10_000),
  MAX_SOURCE_MB: positiveInt(50, 1_000),
  FILE_RETENTION_DAYS: positiveInt(14, 3650),
  /** With several replicas on Postgres: a replica not seen for this long has its jobs taken over. */
  REPLICA_TIMEOUT_SECONDS: positiveInt(30, 3600),
  /** Connections per Postgres pool (a replica has two: keyv's and the tables'); Postgres allows 100 in all by default. */
  STORE_POOL_SIZE: positiveInt(10, 100),
  /** Names this replica among those sharing one Postgres; default: host name and DATA_DIR. */
  REPLICA_ID: optionalText,
  // Disk one team may fill with character clips, reference frames and input images; 0 means no limit.
  TEAM_DISK_QUOTA_MB: z.coerce.number().int('must be a whole number').min(0, 'must be 0 (no limit) or more').max(10_000_000).default(2048),
  // How long a provider may take to start answering one request before it counts as a transient failure (then retried).
  PROVIDER_TIMEOUT_SECONDS: positiveInt(30, 600),
  FILE_SIGNING_KEY: optionalText,

  SIMULATOR: z.enum(['auto', 'on', 'off']).default('auto'),
  SIMULATOR_SECONDS_PER_VIDEO_SECOND: z.coerce.number({ error: 'must be a number of seconds' }).min(0).max(600).default(1),

  CONSOLE: z.enum(['auto', 'on', 'off']).default('auto'),

  // Discord (src/chat/discord): starts when DISCORD_TOKEN is set.
  DISCORD_TOKEN: optionalText,
  DISCORD_APPLICATION_ID: optionalText.refine((v) => v === undefined || /^\d{5,25}$/.test(v), 'must be the numeric application id'),
  DISCORD_GUILD_ID: optionalText.refine((v) => v === undefined || /^\d{5,25}$/.test(v), 'must be a numeric server id'),
  DISCORD_API_URL: optionalUrl('DISCORD_API_URL'),
  // HTTP interactions (src/chat/discord/http-interactions.ts): the application's public key from the
  // Developer Portal mounts POST /discord/interactions; DISCORD_GATEWAY=off then skips the gateway login.
  DISCORD_PUBLIC_KEY: optionalText.refine((v) => v === undefined || /^[0-9a-f]{64}$/i.test(v), 'must be the 64 hex characters of the application\'s public key'),
  DISCORD_GATEWAY: z.enum(['on', 'off']).default('on'),

  // Slack (src/chat/slack): starts when SLACK_BOT_TOKEN is set; Socket Mode when SLACK_APP_TOKEN is set.
  SLACK_BOT_TOKEN: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText,
  SLACK_API_URL: optionalUrl('SLACK_API_URL'),
  SLACK_ADMIN_USER_IDS: z
    .string()
    .trim()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),

  // Live providers (src/backends): each backend is enabled by its key.
  FAL_KEY: optionalText,
  FAL_QUEUE_URL: url('FAL_QUEUE_URL').default('https://queue.fal.run'),
  FAL_WEBHOOK_JWKS_URL: url('FAL_WEBHOOK_JWKS_URL').default('https://rest.alpha.fal.ai/.well-known/jwks.json'),
  // fal models to serve (keys from src/backends/fal-models.ts); empty = all defaults.
  FAL_MODELS: z
    .string()
    .trim()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
  // JSON array of fal model objects that patch a default (same key) or add one.
  FAL_MODELS_JSON: optionalText.refine((v) => {
    if (v === undefined) return true;
    try {
      return Array.isArray(JSON.parse(v));
    } catch {
      return false;
    }
  }, 'must be a JSON array of fal model objects'),
  GEMINI_API_KEY: optionalText,
  GEMINI_API_URL: url('GEMINI_API_URL').default('https://generativelanguage.googleapis.com'),
  // The Gemini API serves Veo's `-preview` ids; `-001` ids are Vertex AI's and answer 404 there.
  GEMINI_MODEL: z.string().trim().min(1).default('veo-3.1-generate-preview').refine((v) => !/-\d{3}$/.test(v), VERTEX_ID_MESSAGE),
  GEMINI_FAST_MODEL: z.string().trim().min(1).default('veo-3.1-fast-generate-preview').refine((v) => !/-\d{3}$/.test(v), VERTEX_ID_MESSAGE),
  // What Veo's reference-image mode allows (unconfirmed: a reseller schema says 8 s and 16:9 only).
  GEMINI_REFERENCE_SECONDS: z
    .string()
    .trim()
    .default('8')
    .refine((v) => /^\d{1,2}(,\s*\d{1,2})*$/.test(v), 'must be whole seconds, comma-separated, e.g. 8 or 4,6,8')
    .transform((v) => v.split(',').map((s) => Number(s.trim()))),
  GEMINI_REFERENCE_ORIENTATIONS: z
    .string()
    .trim()
    .default('landscape')
    .refine((v) => /^(landscape|portrait)(,\s*(landscape|portrait))?$/.test(v), 'must be landscape, portrait or landscape,portrait')
    .transform((v) => v.split(',').map((s) => s.trim() as 'landscape' | 'portrait')),
  KLING_ACCESS_KEY: optionalText,
  KLING_SECRET_KEY: optionalText,
  KLING_API_URL: url('KLING_API_URL').default('https://api-singapore.klingai.com'),
  KLING_MODEL: z.string().trim().min(1).default('kling-v3-omni'),
  // Images + elements per video are capped at 7 by Kling.
  KLING_MAX_ELEMENTS: positiveInt(7, 7),
  // A newer direct key (`api-key-kling-…`), sent as the Bearer token; replaces the key pair.
  KLING_API_KEY: optionalText,
  // Which video endpoint: the legacy omni-video (`/v1/videos/omni-video`) or the 3.0 omni format.
  KLING_API_FORMAT: z.enum(['legacy', 'kling-3.0']).default('legacy'),
  VIDU_API_KEY: optionalText,
  VIDU_API_URL: url('VIDU_API_URL').default('https://api.vidu.com'),
  // Reference-to-video model: viduq2 (1-10 s, 720p/1080p) by default; viduq2-pro also takes the character's clip.
  VIDU_MODEL: z.enum(['viduq2', 'viduq2-pro']).default('viduq2'),
  OPENAI_WEBHOOK_SECRET: optionalText,
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  dataDir: string;
  storeUrl: string;
  /** Every secret value, for log scrubbing. */
  secrets: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`The configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD)$/;

/**
 * Reads a `.env` file (KEY=value lines, as in .env.example) into `env`, never
 * overriding a variable the real environment already sets: a deployment's
 * variables win over a developer's file. Node's own parser (util.parseEnv,
 * Node ≥ 20.12) reads it, so no dependency is needed. Returns the names taken
 * from the file; a missing file is no error.
 */
export function applyDotEnv(file: string, env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError([`${file} could not be read (${(error as Error).message}).`]);
  }
  const taken: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    taken.push(name);
  }
  return taken;
}

/** `postgres://bot:hunter2@db/x` → `postgres://bot:***@db/x`, also for a value too broken to parse as a URL. */
export function maskUrlPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:).*@/i, '$1***@');
}

/** Reads the environment; throws ConfigError with one sentence per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const got = env[name];
        const shown = got === undefined || SECRET_NAME.test(name) ? '' : ` (got "${maskUrlPassword(got)}")`;
        return `${name} ${issue.message}${shown}.`.replace(/\.\.$/, '.');
      }),
    );
  }
  const data = parsed.data;
  const dataDir = path.resolve(data.DATA_DIR);
  const secrets = Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && typeof value === 'string' && value.length > 0)
    .map(([, value]) => value as string);
  // A password inside a store URL is a secret too.
  const storeUrl = data.STORE_URL ?? `sqlite://${path.join(dataDir, 'bot.sqlite')}`;
  try {
    const u = new URL(storeUrl);
    if (u.password) secrets.push(decodeURIComponent(u.password), u.password);
  } catch {
    /* sqlite paths are not always URL-shaped */
  }
  return { ...data, dataDir, storeUrl, secrets };
}
