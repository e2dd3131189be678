/**
 * Storyboards on several bot processes sharing one Postgres (README "Running
 * several replicas"): a replica that starts while another runs a board leaves
 * the board to its owner (before the boards table, its start-up resume drove
 * every active board, so a rolling deploy could retry a shot or post a board a
 * second time); when the owner dies, one other replica takes the board over
 * with its shots and posts it once.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { ClusterNode } from '../helpers/cluster.js';
import { waitFor } from '../helpers/drive.js';
import { freshSchema } from '../helpers/pg-schema.js';
import { serviceAvailable } from '../helpers/services.js';

const hasPostgres = await serviceAvailable('postgres', 'the storyboard cluster test (test/e2e/cluster-boards.test.ts)');
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('a storyboard on two bot processes', { skip: !hasPostgres && 'Postgres is not reachable (see the SKIPPED line above)', timeout: 600_000 }, () => {
  it('a replica starting while another runs a board leaves it alone; when the owner dies it takes the board over and posts it once', async () => {
    const schema = await freshSchema('clusterboard');
    cleanups.push(() => schema.drop());
    // Slow renders (80 s a 4-second shot): the board is still rendering when the second process has started.
    const sim: Simulator = await startSimulator({ renderMsPerVideoSecond: 20_000 });
    cleanups.push(() => sim.stop());
    const env = { STORE_URL: schema.url, SIMULATOR: 'off', OPENAI_API_KEY: 'sk-test-openai-0123456789', OPENAI_BASE_URL: sim.openaiBaseUrl, REPLICA_TIMEOUT_SECONDS: '3', LOG_LEVEL: 'info' };
    const a = await ClusterNode.start(env);
    cleanups.push(() => a.stop());
    const { boardId } = await a.ask({ type: 'storyboard', userId: 'u1', prompts: ['a fox wakes', 'a fox runs'], backend: 'openai', seconds: 4 }, 'boardStarted');
    const stored = async () => (await query<{ state: string; owner: string }>(schema.url, `SELECT state, owner FROM boards WHERE id = '${boardId}'`))[0];
    const ownerA = (await stored())!.owner;
    await waitFor(() => sim.stats.jobsCreated === 2, 'both shots to reach the provider', 60_000);

    const b = await ClusterNode.start(env);
    cleanups.push(() => b.stop());
    assert.equal((await stored())!.state, 'rendering', 'the board was still rendering when the second process started');
    assert.equal((await stored())!.owner, ownerA, 'the second process did not claim it');
    assert.equal(b.first('boardEvent', (e) => e.boardId === boardId), undefined, 'nor showed it: its start-up resume left the board to its owner');

    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(() => b.first('boardEvent', (e) => e.boardId === boardId && e.event === 'finished') !== undefined, 'the other process to post the board', 240_000);
    const tookMs = Date.now() - killedAt;
    await waitFor(async () => (await stored())?.state === 'delivered', 'the delivered state to be stored', 60_000);
    assert.notEqual((await stored())!.owner, ownerA, 'the board changed owner');
    const takeovers = b.logs('took over the storyboards of a replica that is no longer seen');
    assert.equal(takeovers.length, 1);
    assert.deepEqual(takeovers[0]!.boards, [boardId]);
    assert.equal(b.messages.filter((m) => m.type === 'boardEvent' && m.boardId === boardId && m.event === 'finished').length, 1, 'posted once');
    assert.equal(a.first('boardEvent', (e) => e.boardId === boardId && e.event === 'finished'), undefined, 'the killed process posted nothing');
    assert.equal(sim.stats.jobsCreated, 2, 'no shot was made twice');
    assert.deepEqual(await query(schema.url, 'SELECT job_id FROM reservations'), [], 'every reservation was settled');
    assert.equal((await query(schema.url, 'SELECT job_id FROM settlements')).length, 2);
    // pino's `time` is epoch milliseconds: when the other process claimed the board, against when the renders allowed posting.
    const claimedMs = Number(takeovers[0]!.time) - killedAt;
    process.stderr.write(`cluster storyboard failover: claimed by the other process ${claimedMs} ms after SIGKILL (REPLICA_TIMEOUT_SECONDS=3), posted ${tookMs} ms after it (the shots render 80 s)\n`);
  });
});
