/**
 * Provider webhooks on the bot's HTTP server: POST /webhooks/{backend}. A
 * verified delivery wakes the job's loop; the slow safety poll covers lost
 * ones. With replicas, the job may be followed by another one: an event this
 * replica does not follow is relayed to them all (src/store/pg-events.ts).
 */
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { Backend, ProviderStatus, SeenKeys } from '../core/ports.js';
import type { Studio } from '../core/studio.js';
import type { BotHttpServer } from '../http/server.js';
import type { Logger } from '../log.js';
import type { Simulator } from '../simulator/server.js';
import type { ProviderEventBus } from '../store/pg-events.js';
import type { SqlStore } from '../store/sql/index.js';
import { createWebhookHandler, webhookReceivers } from './index.js';

export interface WebhookMount {
  config: Config;
  backends: readonly Backend[];
  simulator: Simulator | undefined;
  /** Delivery ids already handled (core/ports.ts `SeenKeys`). */
  seen: SeenKeys;
  tables: SqlStore | undefined;
  replicaId: string;
  studio: Pick<Studio, 'providerEvent'>;
  http: BotHttpServer;
  clock: Clock;
  logger: Logger;
  cleanups: (() => Promise<unknown>)[];
}

/** Mounts the route; returns the replicas' event bus when the jobs live in Postgres. */
export async function mountWebhooks(mount: WebhookMount): Promise<ProviderEventBus | undefined> {
  const { config, simulator, studio, clock, logger, tables } = mount;
  const receivers = webhookReceivers(
    mount.backends,
    { falJwksUrl: simulator?.falJwksUrl ?? config.FAL_WEBHOOK_JWKS_URL, openaiWebhookSecret: config.OPENAI_WEBHOOK_SECRET },
    clock,
  );
  let events: ProviderEventBus | undefined;
  if (tables?.database.pool) {
    const { startPgEventBus } = await import('../store/pg-events.js');
    const bus = await startPgEventBus({
      url: config.storeUrl,
      pool: tables.database.pool,
      logger,
      origin: mount.replicaId,
      onEvent: (event) => studio.providerEvent(event.backend, event.providerJobId),
    });
    events = bus;
    mount.cleanups.push(() => bus.close());
  }
  const onProviderEvent = (backend: string, id: string, status: ProviderStatus | undefined): boolean => {
    if (studio.providerEvent(backend, id, status)) return true;
    events?.publish({ backend, providerJobId: id }).catch((error: unknown) => logger.warn({ err: error, backend, providerJobId: id }, 'could not relay a provider event'));
    return false;
  };
  mount.http.route('POST', '/webhooks/', createWebhookHandler({ receivers, seen: mount.seen, clock, logger, onEvent: onProviderEvent }));
  return events;
}
