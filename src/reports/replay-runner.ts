// Runs replays off the main thread: one at a time per process (a second request while one runs is
// answered `busy` at once, never queued behind it), each in a fresh worker_threads worker
// (src/reports/replay-worker.ts) that compiles the drafted sources, reads the ledger and prices,
// bounded by a time limit after which the worker is terminated. The main thread only answers the
// worker's ledger reads when the worker cannot open the database itself (an in-memory SQLite).

import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Diagnostic } from '../domain/types.js';
import type { LoadedSources } from '../ruleset/load.js';
import { parseStoreLocation } from '../store/open.js';
import { StoreUnavailableError, type LedgerStore } from '../store/types.js';
import type { ReplayReport, StoredRedemption } from './replay.js';
import type { MainMessage, ReplayJob, WorkerMessage } from './replay-worker.js';

/** How long one replay may run before its worker is terminated (default; DISCOUNTS_REPLAY_TIMEOUT_MS overrides it). */
export const REPLAY_TIMEOUT_MS = 120_000;

/** DISCOUNTS_REPLAY_TIMEOUT_MS when it is a positive integer, else the default. */
export function replayTimeoutFromEnv(env: Record<string, string | undefined> = process.env): number {
  const text = env.DISCOUNTS_REPLAY_TIMEOUT_MS;
  return text !== undefined && /^\d{1,9}$/.test(text) && Number(text) > 0 ? Number(text) : REPLAY_TIMEOUT_MS;
}

export type ReplayOutcome =
  | { kind: 'report'; report: ReplayReport }
  /** The drafted ruleset does not compile. */
  | { kind: 'invalid'; diagnostics: Diagnostic[] }
  /** Another replay is running in this process. */
  | { kind: 'busy' }
  | { kind: 'timeout' }
  | { kind: 'failed'; message: string; unavailable: boolean };

export interface ReplayRunnerOptions {
  /** The ledger the main thread reads for the worker when it cannot open `db` itself. */
  store: LedgerStore;
  /** The ledger's location (a file path, sqlite:/file: URL or postgres:// URL) for the worker's own connection. */
  db?: string | null;
  timeoutMs?: number;
  pageSize?: number;
}

/** The built worker next to this module; under vitest (running the .ts sources) the one in dist/. */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new URL('./replay-worker.js', here);
  const built = new URL('../../dist/src/reports/replay-worker.js', here);
  if (!existsSync(built)) throw new Error(`${built.pathname} is missing: run npm run build`);
  return built;
}

/** Whether a worker can open this database with a connection of its own. */
export function ownConnection(db: string | null | undefined): string | null {
  if (!db) return null;
  const location = parseStoreLocation(db);
  if (location.dialect === 'postgres') return db;
  return location.path === ':memory:' || location.path === '' ? null : db;
}

export class ReplayRunner {
  #running: Promise<ReplayOutcome> | null = null;
  readonly #db: string | null;

  constructor(readonly options: ReplayRunnerOptions) {
    this.#db = ownConnection(options.db);
  }

  get busy(): boolean {
    return this.#running !== null;
  }

  /** Replays with the given (drafted) sources; `busy` at once when a replay is running. */
  run(job: { sources: LoadedSources; store: string; from: string; to: string }): Promise<ReplayOutcome> {
    if (this.#running) return Promise.resolve({ kind: 'busy' });
    const running = this.#start({ ...job, db: this.#db, pageSize: this.options.pageSize }).finally(() => {
      this.#running = null;
    });
    this.#running = running;
    return running;
  }

  #start(job: ReplayJob): Promise<ReplayOutcome> {
    return new Promise<ReplayOutcome>((resolve) => {
      let settled = false;
      let pages: AsyncIterator<StoredRedemption[]> | null = null;
      const worker = new Worker(workerUrl(), { workerData: job });
      // A replay never keeps the process alive on its own (it writes nothing; shutdown may drop it).
      worker.unref();
      const finish = (outcome: ReplayOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void pages?.return?.();
        void worker.terminate();
        resolve(outcome);
      };
      const timer = setTimeout(() => finish({ kind: 'timeout' }), this.options.timeoutMs ?? replayTimeoutFromEnv());
      timer.unref();
      const reply = (m: MainMessage) => {
        if (!settled) worker.postMessage(m);
      };
      worker.on('message', (m: WorkerMessage) => {
        switch (m.type) {
          case 'invalid':
            return finish({ kind: 'invalid', diagnostics: m.diagnostics });
          case 'done':
            return finish({ kind: 'report', report: m.report });
          case 'failed':
            return finish({ kind: 'failed', message: m.message, unavailable: m.unavailable });
          case 'read': {
            const read: Promise<unknown> =
              m.op === 'start'
                ? this.options.store.replayStartUsage(job.store, job.from, m.discountIds)
                : (pages ??= this.options.store.replayPages(job.store, job.from, job.to, job.pageSize)[Symbol.asyncIterator]()).next().then((r) => (r.done ? null : r.value));
            read.then(
              (value) => reply({ type: 'reply', id: m.id, ok: true, value }),
              (error: unknown) =>
                reply({ type: 'reply', id: m.id, ok: false, message: error instanceof Error ? error.message : String(error), unavailable: error instanceof StoreUnavailableError }),
            );
            return;
          }
        }
      });
      worker.on('error', (error) => finish({ kind: 'failed', message: error.message, unavailable: false }));
      worker.on('exit', (code) => finish({ kind: 'failed', message: `the replay worker stopped (exit code ${code})`, unavailable: false }));
    });
  }
}
