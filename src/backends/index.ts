/**
 * Builds the configured backends. With no provider key at all (and SIMULATOR
 * not off) every backend points at the in-process simulator, so a first run
 * exercises the real HTTP clients, the router and the ledger with no accounts.
 */
import type { Clock } from '../core/clock.js';
import type { Micros } from '../core/money.js';
import type { Backend } from '../core/ports.js';
import type { Quality } from '../core/types.js';
import type { Logger } from '../log.js';
import { createApiyiBackend } from './apiyi.js';
import type { PriceOverride } from './http.js';
import { createOpenAiBackend } from './openai.js';

export interface BackendSettings {
  OPENAI_API_KEY?: string | undefined;
  OPENAI_BASE_URL: string;
  OPENAI_VIDEO_MODEL: string;
  OPENAI_VIDEO_PRO_MODEL: string;
  OPENAI_AUTH_STYLE: 'bearer' | 'azure-api-key';
  APIYI_API_KEY?: string | undefined;
  APIYI_BASE_URL: string;
  APIYI_AUTH_HEADER: string;
  APIYI_AUTH_SCHEME: string;
  PRICE_OVERRIDES: Record<string, Partial<Record<Quality, Micros>>>;
  MAX_RESULT_MB: number;
}

/** Where the simulator serves each protocol, when it stands in for the real providers. */
export interface SimulatedEndpoints {
  openaiBaseUrl: string;
  apiyiBaseUrl: string;
}

export const SIMULATOR_KEY = 'sim-local-key';

export type ClosableBackend = Backend & { close?: () => Promise<void> };

/** True when no provider key is configured: the simulator is then the only sensible default. */
export function noProviderKeys(settings: BackendSettings): boolean {
  return !settings.OPENAI_API_KEY && !settings.APIYI_API_KEY;
}

function priceOverride(settings: BackendSettings, id: string): PriceOverride | undefined {
  const o = settings.PRICE_OVERRIDES[id];
  // The config names a price per quality; whether it is per second or per video is the backend's model.
  return o ? { microsPerSecond: o, micros: o } : undefined;
}

export function createBackends(
  settings: BackendSettings,
  deps: { clock: Clock; logger: Logger; simulator: SimulatedEndpoints | undefined },
): ClosableBackend[] {
  const { clock, logger, simulator } = deps;
  const maxResultBytes = settings.MAX_RESULT_MB * 1024 * 1024;
  const backends: ClosableBackend[] = [];
  const openaiKey = simulator ? SIMULATOR_KEY : settings.OPENAI_API_KEY;
  if (openaiKey) {
    backends.push(
      createOpenAiBackend({
        baseUrl: simulator?.openaiBaseUrl ?? settings.OPENAI_BASE_URL,
        apiKey: openaiKey,
        model: settings.OPENAI_VIDEO_MODEL,
        proModel: settings.OPENAI_VIDEO_PRO_MODEL,
        authStyle: simulator ? 'bearer' : settings.OPENAI_AUTH_STYLE,
        clock,
        logger: logger.child({ backend: 'openai' }),
        priceOverrides: priceOverride(settings, 'openai'),
        maxResultBytes,
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
        ...(simulator && { displayName: 'Sora character API (simulator)' }),
      }),
    );
  }
  return backends;
}
