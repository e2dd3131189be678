import { randomBytes } from 'node:crypto';

// Crockford-style alphabet without look-alikes (no i, l, o, u): ids are typed by hand in chat.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Random bytes fetched 4 KB at a time: each `randomBytes` call is a trip into OpenSSL, and every
 * request drafts a job id and a submission key twice (quote, acceptance). Still the CSPRNG's bytes,
 * each used once.
 */
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let used = 0;

function randomId(length: number): string {
  if (used + length > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    used = 0;
  }
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[pool[used + i]! & 31];
  used += length;
  return out;
}

/** `j_` + 8 characters: 40 bits, short enough to type in `/sora cancel j_…`. */
export function newJobId(): string {
  return `j_${randomId(8)}`;
}

/** Long and unguessable: sent to providers as an idempotency key. */
export function newSubmissionKey(): string {
  return `sub_${randomId(26)}`;
}

/** `b_` + 8 characters: a storyboard or extension, typed like a job id. */
export function newBoardId(): string {
  return `b_${randomId(8)}`;
}

/** One attempt to deliver a job: the fencing token of its delivery mark (job-delivery.ts). */
export function newDeliveryAttempt(): string {
  return `d_${randomId(12)}`;
}
