/**
 * The whole bot on each store URL: a character, a generation that names it,
 * settlement and a restart that finds the delivered job again. SQLite runs
 * everywhere in the suite; this file proves Redis and Postgres carry the same
 * documents (jobs, ledger months, registries, indexes). Each run gets its own
 * Postgres database and its own Redis logical database, emptied first, so a
 * leftover from another run can never be resumed here.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import pg from 'pg';
import { createClient } from '@keyv/redis';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { driveUntil } from '../helpers/drive.js';
import { POSTGRES_URL, REDIS_URL, serviceAvailable } from '../helpers/services.js';
import { actor, startTestBot, type TestBot } from '../helpers/test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const POSTGRES_ADMIN_URL = POSTGRES_URL;
const REDIS_BASE = REDIS_URL;
const REDIS_DB = 13;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function postgresDatabase(): Promise<string> {
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2_000 });
  await admin.connect().catch((error: Error) => {
    throw new Error(`PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL} (${error.message}). Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`);
  });
  const name = `bot_e2e_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  cleanups.push(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });
  return POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
}

async function redisDatabase(): Promise<string> {
  const url = `${REDIS_BASE}/${REDIS_DB}`;
  const client = createClient({ url, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
  await client.connect().catch((error: Error) => {
    throw new Error(`Redis is not reachable at ${REDIS_BASE} (${error.message}). Start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379`);
  });
  await client.flushDb();
  cleanups.push(async () => {
    await client.flushDb();
    await client.quit();
  });
  return url;
}

async function roundTrip(storeUrl: string): Promise<void> {
  let t: TestBot = await startTestBot({ STORE_URL: storeUrl });
  try {
    const alice = actor('team:stores', 'alice', true);
    await t.bot.studio.createCharacter(alice, { name: 'mascot', description: 'a round orange robot', clipPath: SAMPLE_CLIP_PATH });
    const accepted = await t.bot.studio.generate(alice, {
      prompt: '@mascot waves',
      seconds: 4,
      orientation: 'landscape',
      resolution: '720p', audio: undefined,
      backend: 'openai',
      imagePath: undefined,
      remixOf: undefined,
    }, { platform: 'test' });
    await driveUntil(t.clock, async () => (await internalsOf(t.bot.studio).jobs.get(accepted.job.id))?.state === 'delivered', { stepMs: 500, maxSteps: 400 });
    t = await t.restart();
    const job = await t.bot.studio.job(alice, accepted.job.id);
    assert.equal(job.state, 'delivered');
    assert.equal(job.priceMicros, 400_000);
    const view = await t.bot.studio.showCharacter(alice, 'mascot');
    assert.equal(view.readiness.find((r) => r.backend === 'openai')?.state, 'ready');
    const summary = await internalsOf(t.bot.studio).ledger.summary('team:stores', job.ledgerMonth);
    assert.equal(summary.total.spentMicros, 400_000);
    assert.equal(summary.total.reservedMicros, 0);
    assert.equal(t.surface.of(job.id, 'finished').length, 0, 'the restarted bot does not deliver again');
  } finally {
    await t.stop();
  }
}

describe('the bot on every store', () => {
  it('runs end to end on Postgres', async (t) => {
    if (!(await serviceAvailable('postgres', 'the bot end to end on Postgres'))) return t.skip('postgres unavailable');
    await roundTrip(await postgresDatabase());
  });
  it('runs end to end on Redis', async (t) => {
    if (!(await serviceAvailable('redis', 'the bot end to end on Redis'))) return t.skip('redis unavailable');
    await roundTrip(await redisDatabase());
  });
});
