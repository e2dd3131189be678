/** What every webhook verifier hands the dispatcher. */
import type { ProviderStatus } from '../core/ports.js';

export interface VerifiedDelivery {
  /** Unique per delivery: replays carry the same id and are dropped. */
  deliveryId: string;
  timestampSeconds: number;
}

export interface ProviderEvent {
  providerJobId: string;
  /** A status to hand the job's loop, or undefined to make it look at the provider at once. */
  status: ProviderStatus | undefined;
}

export type RequestHeaders = Record<string, string | string[] | undefined>;

/** One backend's webhook protocol: signature check and body parsing. */
export interface WebhookReceiver {
  verify(headers: RequestHeaders, body: Buffer): Promise<VerifiedDelivery> | VerifiedDelivery;
  /** Parses the verified body through a schema; throws WebhookRejected(400) when it does not fit. */
  parse(body: Buffer, headers: RequestHeaders): ProviderEvent;
}

export class WebhookRejected extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'WebhookRejected';
  }
}
