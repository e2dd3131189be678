/**
 * Discord interactions over HTTP: Discord POSTs each interaction to the
 * app's Interactions Endpoint URL and takes the HTTP response as the first
 * answer (https://discord.com/developers/docs/interactions/overview#preparing-for-interactions).
 * Any replica behind a load balancer can answer, so the gateway becomes optional.
 *
 * The handlers stay the gateway's: the payload becomes a discord.js
 * interaction on the same client, and when a handler sends its first answer
 * (the defer, a reply, a modal) the REST call to
 * `/interactions/{id}/{token}/callback` is not sent; its body becomes this
 * request's response instead. Follow-ups, edits and uploads then go through
 * REST with the interaction token, exactly as on the gateway.
 *
 * Under a burst, a job launch is deferred publicly as it arrives and handled
 * once arrivals pause (see `handle`): the same answer its handler would give
 * when it accepts, sent before the checks so that they never hold up the
 * answers of the interactions behind it (bench/README.md, "Fifth pass").
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResponseLike } from '@discordjs/rest';
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { QuietTurns } from '../../core/quiet-turns.js';
import { readBody, sendJson, type RouteHandler } from '../../http/server.js';
import type { Logger } from '../../log.js';

/**
 * Discord signs `timestamp + body`; a timestamp far from our clock is a replay of a
 * captured request. Discord gives no window; five minutes is what its examples tolerate for clock skew.
 */
export const SIGNATURE_MAX_AGE_MS = 5 * 60_000;
/** Discord drops an interaction not answered within 3 s; past this the transport answers with a defer itself. */
export const ANSWER_DEADLINE_MS = 2_500;

const PING = 1;
const CHANNEL_MESSAGE = 4;
const DEFERRED_CHANNEL_MESSAGE = 5;
const EPHEMERAL = 1 << 6;
/** An interaction token works for 15 minutes (the follow-up page below); a late answer after that is moot. */
const INTERACTION_TOKEN_MS = 15 * 60_000;

/** A handler's first answer, read only to see whether it can follow the deadline's defer. */
const LateAnswer = z.object({ type: z.number().int(), data: z.object({ flags: z.number().int().optional() }).passthrough().optional() });

/**
 * The fields the transport itself reads; the rest is discord.js's to parse, so the payload it gets
 * is the JSON as received (the schema checks, and copies only these four).
 */
const InteractionEnvelope = z.object({
  id: z.string().regex(/^\d{1,25}$/),
  type: z.number().int(),
  token: z.string().min(1).max(500),
  application_id: z.string().regex(/^\d{1,25}$/),
});

const CALLBACK_PATH = /\/interactions\/(\d{1,25})\/[^/]+\/callback(?:\?|$)/;
const CALLBACK_TAIL = /\/interactions\/\d{1,25}\/([^/]+)\/callback(?:\?.*)?$/;

/** The key in the Developer Portal is 32 raw bytes in hex; node:crypto takes Ed25519 keys as DER SPKI. */
export function interactionPublicKey(hex: string): KeyObject {
  const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');
  return createPublicKey({ key: Buffer.concat([spkiPrefix, Buffer.from(hex, 'hex')]), format: 'der', type: 'spki' });
}

/**
 * https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers:
 * Ed25519 over X-Signature-Timestamp + raw body, hex in X-Signature-Ed25519.
 */
export function verifyInteractionSignature(key: KeyObject, req: IncomingMessage, body: Buffer, nowMs: number): 'ok' | 'bad signature' | 'stale' {
  const signature = req.headers['x-signature-ed25519'];
  const timestamp = req.headers['x-signature-timestamp'];
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || !/^[0-9a-f]{128}$/i.test(signature) || !/^\d{1,12}$/.test(timestamp)) return 'bad signature';
  if (!verify(null, Buffer.concat([Buffer.from(timestamp), body]), key, Buffer.from(signature, 'hex'))) return 'bad signature';
  return Math.abs(nowMs - Number(timestamp) * 1000) > SIGNATURE_MAX_AGE_MS ? 'stale' : 'ok';
}

type MakeRequest = (url: string, init: RequestInit) => Promise<ResponseLike>;

interface Pending {
  id: string;
  res: ServerResponse;
  /** When the transport defers on the handler's behalf (arrival + ANSWER_DEADLINE_MS). */
  deadline: number;
}

/**
 * What a public "thinking…" message shows for the moment between being filled and removed, when what
 * follows must be private: nothing of the request or of what the asker is told.
 */
export const WITHDRAWN_PLACEHOLDER = '…';

/** The type-5 answer as bytes: the one every defer sends, written once. */
const PUBLIC_DEFER = Buffer.from(JSON.stringify({ type: DEFERRED_CHANNEL_MESSAGE }));
const EPHEMERAL_DEFER = Buffer.from(JSON.stringify({ type: DEFERRED_CHANNEL_MESSAGE, data: { flags: EPHEMERAL } }));

export interface HttpInteractionsOptions {
  publicKey: string;
  applicationId: string;
  clock: Clock;
  logger: Logger;
  /** Hands a verified interaction payload to the handlers (the discord.js client). */
  dispatch: (payload: Record<string, unknown>) => void;
  /**
   * Whether an interaction is answered with a public defer whenever it is accepted (a `/sora generate`
   * with no file to fetch). Under a burst such an interaction gets that defer at once (see `handle`).
   */
  defersPublicly?: (payload: Record<string, unknown>) => boolean;
  /** The process's arrivals: each interaction is counted, and one deferred at once is handled on a quiet turn. */
  arrivals?: QuietTurns;
}

export interface HttpInteractions {
  /** POST /discord/interactions. */
  handle: RouteHandler;
  /** Wraps discord.js's REST `makeRequest`: a callback for an interaction waiting on its HTTP request answers that request. */
  makeRequest(send: MakeRequest): MakeRequest;
  /**
   * Answers a waiting interaction with a defer, written straight into its HTTP response; false when
   * it is not waiting here (it came over the gateway, or was answered already). The same bytes
   * discord.js's `deferReply` would send, without its REST queue, a `Response` and a callback per
   * interaction, which under a burst of 500 kept the last defers waiting (bench/README.md).
   * A public defer for an interaction the transport deferred publicly itself is true, and nothing is written.
   */
  defer(id: string, ephemeral: boolean): boolean;
  /** Resolves when every interaction deferred at once has been handed to the handlers (for a clean stop). */
  handedOver(): Promise<void>;
}

export function createHttpInteractions(options: HttpInteractionsOptions): HttpInteractions {
  const key = interactionPublicKey(options.publicKey);
  const { logger, clock } = options;
  const pending = new Map<string, Pending>();
  /**
   * Interactions this transport deferred publicly on the handler's behalf (under a burst, or at the
   * deadline) whose handler has not answered yet, each with the end of its token's life. Kept in
   * arrival order, so the expired ones are dropped from the front as new ones come: no timer each.
   */
  const deferredHere = new Map<string, number>();
  /** Dispatches of interactions deferred at once, waiting for a quiet turn. */
  const held = new Set<Promise<void>>();
  /** When an interaction was last deferred at once: the burst is taken to last a deadline past it. */
  let lastDeferredAtOnce = Number.NEGATIVE_INFINITY;
  /**
   * Waiting interactions in arrival order, which is also deadline order: one sleep watches the
   * first, instead of a timer and an AbortController per interaction (an abort builds a
   * DOMException with its stack: a tenth of a millisecond each, under a burst). The watch sleeps
   * on when everything is answered, and ends at the deadline it slept for: a handler answers
   * each interaction before the next one is read, so stopping it then started a timer per arrival.
   */
  let arrivals: Pending[] = [];
  let watching = false;

  /** The interaction's request, if it still waits; one Discord hung up on is forgotten here. */
  function waiting(id: string): Pending | undefined {
    const p = pending.get(id);
    if (!p?.res.destroyed) return p;
    pending.delete(id);
    return undefined;
  }

  function write(res: ServerResponse, status: number, contentType: string, body: Buffer): void {
    res.writeHead(status, { 'content-type': contentType, 'content-length': body.length });
    res.end(body);
  }

  function answer(id: string, status: number, contentType: string, body: Buffer): boolean {
    const p = waiting(id);
    if (!p) return false;
    pending.delete(id);
    write(p.res, status, contentType, body);
    return true;
  }

  function rememberDeferred(id: string): void {
    const now = clock.now();
    for (const [old, expires] of deferredHere) {
      if (expires > now) break;
      deferredHere.delete(old);
    }
    deferredHere.set(id, now + INTERACTION_TOKEN_MS);
  }

  /** Whether the transport deferred this interaction and its handler had not answered yet; it now has. */
  function takeDeferred(id: string): boolean {
    const expires = deferredHere.get(id);
    deferredHere.delete(id);
    return expires !== undefined && expires > clock.now();
  }

  /** A handler that has not answered by its deadline would lose the interaction: a public defer keeps it alive. */
  async function watchDeadlines(): Promise<void> {
    let next = 0;
    while (next < arrivals.length) {
      const first = arrivals[next]!;
      if (waiting(first.id) !== first) {
        next += 1;
        continue;
      }
      const wait = first.deadline - clock.now();
      if (wait > 0) await clock.sleep(wait);
      else if (answer(first.id, 200, 'application/json', PUBLIC_DEFER)) {
        rememberDeferred(first.id);
        logger.warn({ interaction: first.id }, 'no answer within the deadline; deferred by the HTTP transport');
      }
      // Answered arrivals at the front are dropped now and then, not one by one.
      if (next > 1024 && next * 2 > arrivals.length) {
        arrivals = arrivals.slice(next);
        next = 0;
      }
    }
    arrivals = [];
    watching = false;
  }

  const handle: RouteHandler = async (req, res) => {
    const body = await readBody(req).catch(() => undefined);
    if (!body) return sendJson(res, 413, { error: 'body too large' });
    const verdict = verifyInteractionSignature(key, req, body, clock.now());
    if (verdict !== 'ok') {
      // Discord probes the endpoint with bad signatures and expects 401 (the page above).
      logger.info({ verdict }, 'Discord interaction refused');
      return sendJson(res, 401, { error: 'invalid request signature' });
    }
    let payload: unknown;
    let parsed;
    try {
      payload = JSON.parse(body.toString('utf8'));
      parsed = InteractionEnvelope.safeParse(payload);
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success || parsed.data.application_id !== options.applicationId) return sendJson(res, 400, { error: 'not an interaction for this application' });
    const interaction = parsed.data;
    if (interaction.type === PING) return sendJson(res, 200, { type: PING });
    options.arrivals?.arrived();

    // Under a burst (other interactions still wait for their answer or their handler, or one was deferred
    // this way within the last deadline, while the handlers of those are still checking them), one whose
    // accepted answer is a public defer gets it now, and its handler runs once arrivals pause: its checks then
    // never delay the answers of those arriving after it. A refusal found by those checks withdraws the public
    // "thinking…" message and is said privately (the deadline's late-answer path, `answerAfterDeadline`).
    // Alone, an interaction is checked before it is answered, so a refusal is private from the start.
    const burst = pending.size > 0 || held.size > 0 || clock.now() - lastDeferredAtOnce < ANSWER_DEADLINE_MS;
    if (burst && options.arrivals && options.defersPublicly?.(payload as Record<string, unknown>)) {
      lastDeferredAtOnce = clock.now();
      write(res, 200, 'application/json', PUBLIC_DEFER);
      rememberDeferred(interaction.id);
      // The bytes wait, not the parsed object: a Buffer's contents live outside V8's heap, so the scavenges
      // of a burst do not copy 500 waiting payloads again and again (bench/README.md, "Fifth pass").
      const handOver = options.arrivals.quiet().then(() => options.dispatch(JSON.parse(body.toString('utf8')) as Record<string, unknown>));
      held.add(handOver);
      void handOver.catch((error: unknown) => logger.error({ err: error, interaction: interaction.id }, 'could not hand a deferred interaction to its handler')).finally(() => held.delete(handOver));
      return;
    }

    const entry: Pending = { id: interaction.id, res, deadline: clock.now() + ANSWER_DEADLINE_MS };
    // A request Discord abandons stays here until it is answered or its deadline comes (answer() then
    // finds the response destroyed): no 'close' listener per request.
    pending.set(interaction.id, entry);
    arrivals.push(entry);
    if (!watching) {
      watching = true;
      void watchDeadlines();
    }
    options.dispatch(payload as Record<string, unknown>);
  };

  const makeRequest = (send: MakeRequest): MakeRequest => async (url, init) => {
    const id = CALLBACK_PATH.exec(url)?.[1];
    if (id === undefined || (!waiting(id) && !deferredHere.has(id))) return send(url, init);
    // JSON, or multipart when the first answer carries files: both are valid interaction responses.
    const asResponse = new Response(init.body as ConstructorParameters<typeof Response>[0]);
    const contentType = typeof init.body === 'string' ? 'application/json' : (asResponse.headers.get('content-type') ?? 'application/json');
    const bytes = Buffer.from(await asResponse.arrayBuffer());
    if (answer(id, 200, contentType, bytes)) return new Response(null, { status: 204 });
    if (takeDeferred(id)) {
      const late = await answerAfterDeadline(send, url, init, contentType, bytes);
      if (late) return late;
    }
    // What Discord says to a second answer the transport cannot turn into a follow-up.
    return new Response(JSON.stringify({ message: 'Interaction has already been acknowledged.', code: 40060 }), {
      status: 400,
      headers: { 'content-type': 'application/json' },
    });
  };

  /**
   * The handler answers after the deadline's public defer went out (a busy process). A public defer is
   * already what Discord shows. A public reply fills the "thinking…" message (Edit Original Interaction
   * Response). A private reply cannot: right after a defer, a follow-up would fill that public message and
   * drop its ephemeral flag
   * (https://discord.com/developers/docs/interactions/receiving-and-responding#create-followup-message), so
   * the placeholder is filled with a neutral mark, the reply follows as an ephemeral follow-up, and the
   * placeholder is deleted. Anything else (an ephemeral defer, a modal, a reply with files) cannot follow a
   * public defer.
   */
  async function answerAfterDeadline(send: MakeRequest, url: string, init: RequestInit, contentType: string, bytes: Buffer): Promise<ResponseLike | undefined> {
    if (!contentType.startsWith('application/json')) return undefined;
    const parsed = LateAnswer.safeParse(JSON.parse(bytes.toString('utf8')));
    if (!parsed.success) return undefined;
    const { type, data } = parsed.data;
    const ephemeral = ((data?.flags ?? 0) & EPHEMERAL) !== 0;
    if (type === DEFERRED_CHANNEL_MESSAGE && !ephemeral) return new Response(null, { status: 204 });
    if (type !== CHANNEL_MESSAGE || !data) return undefined;
    const webhook = url.replace(CALLBACK_TAIL, `/webhooks/${options.applicationId}/$1`);
    const original = `${webhook}/messages/@original`;
    const headers = { ...(init.headers as Record<string, string>), 'content-type': 'application/json' };
    const call = (target: string, method: string, body?: unknown) =>
      send(target, { ...init, method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!ephemeral) return (await call(original, 'PATCH', data)).status < 300 ? new Response(null, { status: 204 }) : undefined;
    if ((await call(original, 'PATCH', { content: WITHDRAWN_PLACEHOLDER, allowed_mentions: { parse: [] } })).status >= 300) return undefined;
    if ((await call(webhook, 'POST', data)).status >= 300) return undefined;
    await call(original, 'DELETE').catch((error: unknown) => logger.warn({ err: error }, 'could not remove the deferred placeholder after a late reply'));
    return new Response(null, { status: 204 });
  }

  // Deferred publicly here already (a burst, or the deadline): a public defer is what Discord shows.
  const defer = (id: string, ephemeral: boolean): boolean =>
    answer(id, 200, 'application/json', ephemeral ? EPHEMERAL_DEFER : PUBLIC_DEFER) || (!ephemeral && takeDeferred(id));

  const handedOver = async (): Promise<void> => {
    while (held.size > 0) await Promise.allSettled([...held]);
  };

  return { handle, makeRequest, defer, handedOver };
}
