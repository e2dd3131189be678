/**
 * The bot as `npm start < script` runs it: the real entry point in its own
 * process, the script on stdin, only the environment given (no provider key
 * can leak in from the environment running the tests).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './drive.js';

const root = path.resolve(import.meta.dirname, '../..');

/** `npm start` with stdin open: what it printed so far, and its exit. */
function startPipedBot(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, ...out })));
  return { child, out, exited };
}

export function runPipedBot(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { child, exited } = startPipedBot(env);
  child.stdin.end(script);
  return exited;
}

/**
 * The same with the input written line by line as the bot answers (an id it prints is needed in a later line):
 * `send` writes a line, `see` waits for output matching a pattern, `end` closes stdin and waits for the exit.
 */
export function pipedConversation(env: Record<string, string>) {
  const { child, out, exited } = startPipedBot(env);
  return {
    send: (line: string) => void child.stdin.write(`${line}\n`),
    see: async (pattern: RegExp): Promise<RegExpExecArray> => {
      await waitFor(() => pattern.test(out.stdout) || child.exitCode !== null, `${pattern} in the console's output`, 120_000);
      const found = pattern.exec(out.stdout);
      assert.ok(found, `${pattern} not in:\n${out.stdout}\n${out.stderr}`);
      return found;
    },
    end: () => {
      child.stdin.end();
      return exited;
    },
  };
}
