/**
 * Builds the configured backends. With no provider key at all (and SIMULATOR
 * not off) every backend points at the in-process simulator, so a first run
 * exercises the real HTTP clients, the router and the ledger with no accounts.
 */
import type { Clock } from '../core/clock.js';
import type { Backend } from '../core/ports.js';
import type { Logger } from '../log.js';
import { createApiyiBackend } from './apiyi.js';
import type { PriceOverride } from '../core/pricing.js';
import { createOpenAiBackend } from './openai.js';
import { createFalBackend } from './fal.js';
import { resolveFalModels } from './fal-models.js';
import { createGeminiBackend } from './gemini.js';
import { createKlingBackend, KLING_ELEMENT_POLL_MS } from './kling.js';
import { createViduBackend } from './vidu.js';
import type { Orientation } from '../core/types.js';

export interface BackendSettings {
  OPENAI_API_KEY?: string | undefined;
  OPENAI_BASE_URL: string;
  OPENAI_VIDEO_MODEL: string;
  OPENAI_AUTH_STYLE: 'bearer' | 'azure-api-key';
  APIYI_API_KEY?: string | undefined;
  APIYI_BASE_URL: string;
  APIYI_AUTH_HEADER: string;
  APIYI_AUTH_SCHEME: string;
  FAL_KEY?: string | undefined;
  FAL_QUEUE_URL: string;
  FAL_MODELS: string[];
  FAL_MODELS_JSON?: string | undefined;
  GEMINI_API_KEY?: string | undefined;
  GEMINI_API_URL: string;
  GEMINI_MODEL: string;
  GEMINI_FAST_MODEL: string;
  GEMINI_REFERENCE_SECONDS: number[];
  GEMINI_REFERENCE_ORIENTATIONS: Orientation[];
  KLING_ACCESS_KEY?: string | undefined;
  KLING_SECRET_KEY?: string | undefined;
  KLING_API_URL: string;
  KLING_MODEL: string;
  KLING_MAX_ELEMENTS: number;
  KLING_API_KEY?: string | undefined;
  KLING_API_FORMAT?: 'legacy' | 'kling-3.0';
  VIDU_API_KEY?: string | undefined;
  VIDU_API_URL?: string;
  VIDU_MODEL?: 'viduq2' | 'viduq2-pro';
  PRICE_OVERRIDES: Record<string, PriceOverride>;
  MAX_RESULT_MB: number;
  /** Seconds to wait for a provider's response headers before the call counts as a transient failure. */
  PROVIDER_TIMEOUT_SECONDS?: number;
}

/** Where the simulator serves each protocol, when it stands in for the real providers. */
export interface SimulatedEndpoints {
  openaiBaseUrl: string;
  apiyiBaseUrl: string;
  falQueueUrl: string;
  geminiApiUrl: string;
  klingApiUrl: string;
  viduApiUrl: string;
}

export const SIMULATOR_KEY = 'sim-local-key';

export type ClosableBackend = Backend & { close?: () => Promise<void> };

/** True when no provider key is configured: the simulator is then the only sensible default. */
export function noProviderKeys(settings: BackendSettings): boolean {
  return (
    !settings.OPENAI_API_KEY &&
    !settings.APIYI_API_KEY &&
    !settings.FAL_KEY &&
    !settings.GEMINI_API_KEY &&
    !settings.KLING_ACCESS_KEY &&
    !settings.KLING_SECRET_KEY &&
    !settings.KLING_API_KEY &&
    !settings.VIDU_API_KEY
  );
}

/** The config names a price per resolution and sound; whether it is per second or per video is the backend's model. */
function priceOverride(settings: BackendSettings, id: string): PriceOverride | undefined {
  return settings.PRICE_OVERRIDES[id];
}

export function createBackends(
  settings: BackendSettings,
  deps: { clock: Clock; logger: Logger; simulator: SimulatedEndpoints | undefined; providerPace?: number },
): ClosableBackend[] {
  const { clock, logger, simulator } = deps;
  const pace = deps.providerPace ?? 1;
  const maxResultBytes = settings.MAX_RESULT_MB * 1024 * 1024;
  // A provider that accepts the connection and then says nothing must not hold a job slot forever.
  const timeouts = settings.PROVIDER_TIMEOUT_SECONDS ? { headersMs: settings.PROVIDER_TIMEOUT_SECONDS * 1000 } : undefined;
  const backends: ClosableBackend[] = [];
  const openaiKey = simulator ? SIMULATOR_KEY : settings.OPENAI_API_KEY;
  if (openaiKey) {
    backends.push(
      createOpenAiBackend({
        baseUrl: simulator?.openaiBaseUrl ?? settings.OPENAI_BASE_URL,
        apiKey: openaiKey,
        model: settings.OPENAI_VIDEO_MODEL,
        authStyle: simulator ? 'bearer' : settings.OPENAI_AUTH_STYLE,
        clock,
        logger: logger.child({ backend: 'openai' }),
        priceOverrides: priceOverride(settings, 'openai'),
        maxResultBytes,
        ...(timeouts && { timeouts }),
        ...(simulator && { displayName: 'OpenAI Videos API (simulator)' }),
      }),
    );
  }
  const apiyiKey = simulator ? SIMULATOR_KEY : settings.APIYI_API_KEY;
  if (apiyiKey) {
    backends.push(
      createApiyiBackend({
        baseUrl: simulator?.apiyiBaseUrl ?? settings.APIYI_BASE_URL,
        apiKey: apiyiKey,
        authHeader: simulator ? 'authorization' : settings.APIYI_AUTH_HEADER,
        authScheme: simulator ? 'Bearer' : settings.APIYI_AUTH_SCHEME,
        clock,
        logger: logger.child({ backend: 'apiyi' }),
        priceOverrides: priceOverride(settings, 'apiyi'),
        maxResultBytes,
        ...(timeouts && { timeouts }),
        ...(simulator && { displayName: 'Sora character API (simulator)' }),
      }),
    );
  }
  // Live providers (docs/providers.md): each is enabled by its key; in simulator mode all of them run on the simulator.
  const falKey = simulator ? SIMULATOR_KEY : settings.FAL_KEY;
  if (falKey) {
    for (const model of resolveFalModels(settings.FAL_MODELS, settings.FAL_MODELS_JSON)) {
      backends.push(
        createFalBackend({
          model,
          queueUrl: simulator?.falQueueUrl ?? settings.FAL_QUEUE_URL,
          apiKey: falKey,
          clock,
          logger: logger.child({ backend: `fal-${model.key}` }),
          priceOverrides: priceOverride(settings, `fal-${model.key}`),
          maxResultBytes,
        ...(timeouts && { timeouts }),
          ...(simulator && { displayName: `${model.displayName} (simulator)` }),
        }),
      );
    }
  }
  const geminiKey = simulator ? SIMULATOR_KEY : settings.GEMINI_API_KEY;
  if (geminiKey) {
    backends.push(
      createGeminiBackend({
        apiUrl: simulator?.geminiApiUrl ?? settings.GEMINI_API_URL,
        apiKey: geminiKey,
        model: settings.GEMINI_MODEL,
        fastModel: settings.GEMINI_FAST_MODEL,
        referenceMode: { seconds: settings.GEMINI_REFERENCE_SECONDS, orientations: settings.GEMINI_REFERENCE_ORIENTATIONS },
        clock,
        logger: logger.child({ backend: 'gemini' }),
        priceOverrides: priceOverride(settings, 'gemini'),
        maxResultBytes,
        ...(timeouts && { timeouts }),
        ...(simulator && { displayName: 'Google Veo 3.1 (simulator)' }),
      }),
    );
  }
  if (!simulator && !settings.KLING_API_KEY && Boolean(settings.KLING_ACCESS_KEY) !== Boolean(settings.KLING_SECRET_KEY)) {
    // Kling signs every call with both halves; one alone would silently disable the backend.
    throw new Error('Kling needs both KLING_ACCESS_KEY and KLING_SECRET_KEY; only one is set.');
  }
  const kling = simulator
    ? { accessKey: SIMULATOR_KEY, secretKey: SIMULATOR_KEY }
    : settings.KLING_API_KEY
      ? { apiKey: settings.KLING_API_KEY }
      : settings.KLING_ACCESS_KEY && settings.KLING_SECRET_KEY
        ? { accessKey: settings.KLING_ACCESS_KEY, secretKey: settings.KLING_SECRET_KEY }
        : undefined;
  if (kling) {
    backends.push(
      createKlingBackend({
        apiUrl: simulator?.klingApiUrl ?? settings.KLING_API_URL,
        ...kling,
        model: settings.KLING_MODEL,
        maxElements: settings.KLING_MAX_ELEMENTS,
        apiFormat: settings.KLING_API_FORMAT ?? 'legacy',
        clock,
        logger: logger.child({ backend: 'kling' }),
        priceOverrides: priceOverride(settings, 'kling'),
        maxResultBytes,
        ...(timeouts && { timeouts }),
        ...(simulator && { displayName: 'Kling 3.0 Omni (simulator)' }),
        ...(pace !== 1 && { elementPollMs: Math.round(KLING_ELEMENT_POLL_MS * pace) }),
      }),
    );
  }
  const viduKey = simulator ? SIMULATOR_KEY : settings.VIDU_API_KEY;
  if (viduKey) {
    backends.push(
      createViduBackend({
        apiUrl: simulator?.viduApiUrl ?? settings.VIDU_API_URL ?? 'https://api.vidu.com',
        apiKey: viduKey,
        model: settings.VIDU_MODEL ?? 'viduq2',
        clock,
        logger: logger.child({ backend: 'vidu' }),
        priceOverrides: priceOverride(settings, 'vidu'),
        maxResultBytes,
        ...(timeouts && { timeouts }),
        ...(simulator && { displayName: 'Vidu Q2 (simulator)' }),
      }),
    );
  }
  return backends;
}
