/**
 * Provider events between replicas over Postgres LISTEN/NOTIFY
 * (https://www.postgresql.org/docs/current/sql-notify.html). A provider's
 * webhook reaches whichever replica the load balancer picks; the job's loop
 * lives in one replica only. The receiving replica NOTIFYs, every replica
 * LISTENs, and the one that follows the job wakes it at once.
 *
 * Only the job's name travels, not the provider's status: the woken loop asks
 * the provider once (one status call), so nothing a webhook said has to be
 * rebuilt from JSON in another process. A notification lost while a listener
 * reconnects costs time only: the runner keeps its slow safety poll.
 */
import pg from 'pg';
import { z } from 'zod';
import type { Logger } from '../log.js';

export const PROVIDER_EVENTS_CHANNEL = 'sora_provider_events';
const RECONNECT_MS = 1_000;

const eventSchema = z.object({ backend: z.string().min(1).max(200), providerJobId: z.string().min(1).max(500), origin: z.string().max(100) });
export type ProviderEvent = z.infer<typeof eventSchema>;

export interface ProviderEventBus {
  /** Tells every replica (this one included) that a provider reported on this job. */
  publish(event: Omit<ProviderEvent, 'origin'>): Promise<void>;
  /** Whether the listening connection is up (for /healthz). */
  listening(): boolean;
  close(): Promise<void>;
}

export async function startPgEventBus(options: {
  url: string;
  pool: pg.Pool;
  logger: Logger;
  /** This replica's name: its own notifications come back to it and are skipped. */
  origin: string;
  onEvent: (event: ProviderEvent) => void;
}): Promise<ProviderEventBus> {
  const log = options.logger.child({ component: 'provider-events' });
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: options.url, application_name: 'sora-team-bot-listener' });
    // Without a listener, a dropped connection's 'error' would crash the process.
    next.on('error', (error) => log.warn({ err: error }, 'provider-event listener lost its connection'));
    next.on('end', () => {
      if (client !== next) return; // a connection that never came up: its caller has the error
      client = undefined;
      reconnectLater();
    });
    next.on('notification', (message) => {
      if (message.channel !== PROVIDER_EVENTS_CHANNEL || !message.payload) return;
      let parsed: ReturnType<typeof eventSchema.safeParse>;
      try {
        parsed = eventSchema.safeParse(JSON.parse(message.payload));
      } catch {
        return log.warn({ payload: message.payload.slice(0, 200) }, 'ignored a provider event that is not JSON');
      }
      if (!parsed.success) return log.warn({ payload: message.payload.slice(0, 200) }, 'ignored a malformed provider event');
      if (parsed.data.origin !== options.origin) options.onEvent(parsed.data);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${PROVIDER_EVENTS_CHANNEL}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    if (closed) return void (await next.end());
    client = next;
  };
  const reconnectLater = (): void => {
    if (closed) return;
    timer = setTimeout(() => {
      connect().catch((error: unknown) => {
        log.warn({ err: error }, 'provider-event listener could not reconnect; trying again');
        reconnectLater();
      });
    }, RECONNECT_MS);
  };
  await connect();

  return {
    async publish(event) {
      await options.pool.query('SELECT pg_notify($1, $2)', [PROVIDER_EVENTS_CHANNEL, JSON.stringify({ ...event, origin: options.origin })]);
    },
    listening: () => client !== undefined,
    async close() {
      closed = true;
      clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
