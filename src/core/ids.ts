import { randomBytes } from 'node:crypto';

// Crockford-style alphabet without look-alikes (no i, l, o, u): ids are typed by hand in chat.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function randomId(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! & 31];
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
