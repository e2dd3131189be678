/**
 * Spawns bot processes for cluster tests (test/helpers/cluster-node.ts) and
 * talks to them over IPC. Each process is a real `node` with its own pid,
 * pool, runner and HTTP server; they share only what the deployment would:
 * the database (and the provider, when the test owns a simulator).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ClusterCommand, ClusterMessage } from './cluster-node.js';
import { compiledEntry } from './bot-build.js';
import { waitFor } from './drive.js';
import { freePort } from './test-bot.js';


export class ClusterNode {
  readonly messages: ClusterMessage[] = [];
  stderr = '';
  private exited = false;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (m: ClusterMessage) => this.messages.push(m));
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    child.on('exit', () => (this.exited = true));
  }

  /**
   * Starts a bot process; `env` adds to a minimal environment (no provider keys leak in from the test's own).
   * A port picked here can be taken by another test's process between `freePort` and the bot's listen
   * (EADDRINUSE, seen once in a busy-core run): the start is then tried again on another port.
   */
  static async start(env: Record<string, string>): Promise<ClusterNode> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ClusterNode.startOnce(env);
      } catch (error) {
        const portTaken = env.PORT === undefined && /EADDRINUSE/.test((error as Error).message);
        if (!portTaken || attempt === 3) throw error;
      }
    }
  }

  private static async startOnce(env: Record<string, string>): Promise<ClusterNode> {
    const port = Number(env.PORT ?? (await freePort()));
    // Plain node on the transpiled tree (bot-build.ts): a cluster test starts up to six processes.
    const child = fork(await compiledEntry('test/helpers/cluster-node.ts'), [], {
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? os.tmpdir(),
        PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        CONSOLE: 'off',
        LOG_LEVEL: 'warn',
        DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'cluster-node-')),
        // Several processes, and other test files, share one Postgres and its 100 connections.
        STORE_POOL_SIZE: '4',
        ...env,
      },
    });
    const node = new ClusterNode(child, port);
    // A start takes 20-45 s of a machine shared by a dozen busy processes, more while other replicas work.
    await waitFor(() => node.first('ready') !== undefined || node.exited, 'a cluster bot process to start', 480_000).catch((error: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${error.message}; its log ends:\n${node.stderr.slice(-4000)}`);
    });
    if (node.exited) throw new Error(`the bot process exited before it was ready:\n${node.stderr.slice(-4000)}`);
    return node;
  }

  first<T extends ClusterMessage['type']>(type: T, match: (m: Extract<ClusterMessage, { type: T }>) => boolean = () => true): Extract<ClusterMessage, { type: T }> | undefined {
    return this.messages.find((m): m is Extract<ClusterMessage, { type: T }> => m.type === type && match(m as Extract<ClusterMessage, { type: T }>));
  }

  /** Sends a command and waits for the first answer of `answer` type that was not there before. */
  async ask<T extends ClusterMessage['type']>(command: ClusterCommand, answer: T, timeoutMs = 120_000): Promise<Extract<ClusterMessage, { type: T }>> {
    const before = this.messages.filter((m) => m.type === answer).length;
    this.child.send(command);
    await waitFor(() => this.messages.filter((m) => m.type === answer).length > before || this.exited, `the bot process to answer ${command.type}`, timeoutMs);
    if (this.exited) throw new Error(`the bot process exited:\n${this.stderr.slice(-4000)}`);
    return this.messages.filter((m) => m.type === answer)[before] as Extract<ClusterMessage, { type: T }>;
  }

  /** Log lines (pino JSON on stderr) whose message is `msg`. */
  logs(msg: string): Array<Record<string, unknown>> {
    return this.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === msg);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.send({ type: 'stop' } satisfies ClusterCommand);
    const gone = waitFor(() => this.exited, 'a bot process to stop', 30_000);
    await gone.catch(() => this.child.kill('SIGKILL'));
  }
}
