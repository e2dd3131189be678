/**
 * The acknowledgement burst shared by bench/ack-latency.ts (one embedded bot) and
 * bench/cluster-ack.ts (bot processes on Postgres): the same `/sora generate` sent
 * all at once, and each request's time from the fake sending it to its answer.
 */
import type { FakeDiscord, FakeInteraction, InteractionTarget } from '../test/fakes/discord/fake-discord.js';
import { until } from './lib.js';

/** The prompt of burst command `i`, the same on both platforms. */
export const burstPrompt = (i: number): string => `a paper boat on a rainy street, take ${i}`;

/** `count` four-second `/sora generate` interactions, sent by the fake at once. */
export function discordBurst(fake: FakeDiscord, count: number, target: (i: number) => InteractionTarget): FakeInteraction[] {
  return Array.from({ length: count }, (_, i) =>
    fake.command(target(i), 'sora', 'generate', [
      { name: 'prompt', type: 3, value: burstPrompt(i) },
      { name: 'seconds', type: 4, value: 4 },
    ]),
  );
}

/** Waits for every interaction's answer; each one's latency, which must be a defer (type 5). */
export async function deferLatencies(fake: FakeDiscord, sent: FakeInteraction[]): Promise<number[]> {
  await until(() => sent.every((i) => fake.interactions.get(i.id)!.callback !== undefined), 'every defer', 60_000);
  return sent.map((i) => {
    const record = fake.interactions.get(i.id)!;
    if (record.callback!.type !== 5) throw new Error(`interaction ${i.id} was answered with type ${record.callback!.type}, not a defer`);
    return record.callback!.realAt - record.realCreatedAt;
  });
}

/** Sends every payload at once; each one's time until `send` says it was acknowledged. */
export async function ackLatencies<P>(payloads: P[], send: (payload: P) => Promise<boolean>): Promise<number[]> {
  const results = await Promise.all(
    payloads.map(async (payload) => {
      const started = Date.now();
      return { ok: await send(payload), ms: Date.now() - started };
    }),
  );
  if (results.some((r) => !r.ok)) throw new Error('a slash command was not acknowledged with 200');
  return results.map((r) => r.ms);
}
