// Runs `discounts serve` as a child process on 127.0.0.1 with a random port (--port 0), and reads
// its URL from the "listening" log line. Every child is tracked so afterAll can kill what is left.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  /** Parsed JSON log lines (stdout) so far. */
  logs: Record<string, unknown>[];
  stderr(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

const children = new Set<ChildProcess>();

export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
}

export function runServe(args: string[], env: Record<string, string> = {}): { proc: ChildProcess; exited: Promise<number | string>; out: () => string; err: () => string } {
  const proc = spawn(process.execPath, [join(ROOT, 'bin', 'discounts.js'), 'serve', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => {
    children.delete(proc);
    resolve(code ?? signal ?? -1);
  }));
  return { proc, exited, out: () => out, err: () => err };
}

export async function startServe(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<ServerProcess> {
  const run = runServe(['--port', '0', '--host', '127.0.0.1', ...args], env);
  const logs: Record<string, unknown>[] = [];
  let buffered = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in ${timeoutMs} ms: ${run.err()}`)), timeoutMs);
    run.proc.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'listening') {
            clearTimeout(timer);
            resolve(String(entry.url));
          }
        } catch {
          /* not a log line */
        }
      }
    });
    // With a log level above info there is no "listening" line; the welcome on stderr has the URL too.
    run.proc.stderr!.on('data', () => {
      const m = / on (http:\/\/[0-9.]+:\d+)/.exec(run.err());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void run.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before listening: ${run.err()}`));
    });
  });
  return {
    url,
    proc: run.proc,
    logs,
    stderr: run.err,
    exited: run.exited,
    stop(signal = 'SIGTERM') {
      if (run.proc.exitCode === null && run.proc.signalCode === null) run.proc.kill(signal);
      return run.exited;
    },
  };
}
