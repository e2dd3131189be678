/**
 * The database services some tests need (PostgreSQL, Redis). On a laptop
 * without them those tests skip, each with one loud line that names what was
 * skipped and how to run it; under CI=true (and STORE_TESTS_REQUIRED=1) a
 * missing service fails the run instead, so CI can never go green by skipping.
 */
import { createConnection } from 'node:net';

export type ServiceName = 'postgres' | 'redis';

export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const HOW_TO_START: Record<ServiceName, string> = {
  postgres:
    'start it (`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or `docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:16`) or point TEST_POSTGRES_URL at one',
  redis: 'start it (`redis-server --daemonize yes`, or `docker run -d -p 6379:6379 redis:7`) or point TEST_REDIS_URL at one',
};

const required = (): boolean => process.env.CI === 'true' || process.env.CI === '1' || process.env.STORE_TESTS_REQUIRED === '1';

/** A bare TCP connect with a short timeout, so a missing service is known in a second rather than hanging. */
function probeTcp(url: string, timeoutMs = 1_000): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error) => done(error.message));
  });
}

const answers = new Map<ServiceName, Promise<string | undefined>>();
const announced = new Set<ServiceName>();

/**
 * True when the service answers. Otherwise: under CI throws with instructions;
 * elsewhere prints one loud line naming `what` was skipped and returns false.
 */
export async function serviceAvailable(name: ServiceName, what: string): Promise<boolean> {
  const url = name === 'postgres' ? POSTGRES_URL : REDIS_URL;
  if (!answers.has(name)) answers.set(name, probeTcp(url));
  const problem = await answers.get(name)!;
  if (!problem) return true;
  const reason = `${name} is not reachable at ${url} (${problem}); ${HOW_TO_START[name]}`;
  if (required()) throw new Error(`${reason}. CI=true requires it: nothing may be skipped in CI.`);
  if (!announced.has(name)) process.stderr.write(`\n!!! SKIPPED ${what}: ${reason}, then run npm test again.\n`);
  announced.add(name);
  return false;
}
