// The replay worker (a worker_threads entry): compiles the drafted sources and replays the ledger
// off the main thread, so POS requests keep their latency while a month of redemptions is
// re-priced. Started by src/reports/replay-runner.ts, one job per worker, which it reports and ends.
// The ledger is read through a connection of the worker's own when the job names a database it can
// open (an SQLite file in WAL mode, a PostgreSQL URL), else through the main thread, which answers
// the two reads (start usage, next page) over messages.

import { parentPort, workerData } from 'node:worker_threads';
import type { Usage } from '../domain/types.js';
import { compileWithNode, type LoadedSources } from '../ruleset/load.js';
import { openStore } from '../store/open.js';
import { StoreUnavailableError } from '../store/types.js';
import { replayFromLedger, type ReplayLedger } from './replay-ledger.js';
import type { StoredRedemption } from './replay.js';

export interface ReplayJob {
  sources: LoadedSources;
  store: string;
  from: string;
  to: string;
  /** A database the worker opens itself (read only), or null to read through the main thread. */
  db: string | null;
  pageSize?: number;
}

export type WorkerMessage =
  | { type: 'invalid'; diagnostics: import('../domain/types.js').Diagnostic[] }
  | { type: 'done'; report: import('./replay.js').ReplayReport }
  | { type: 'failed'; message: string; unavailable: boolean }
  | (ReadRequest & { id: number });

/** A ledger read the worker asks of the main thread. */
export type ReadRequest = { type: 'read'; op: 'start'; discountIds: string[] } | { type: 'read'; op: 'page' };

export type MainMessage = { type: 'reply'; id: number; ok: true; value: unknown } | { type: 'reply'; id: number; ok: false; message: string; unavailable: boolean };

const port = parentPort;
if (port) void main(workerData as ReplayJob);

async function main(job: ReplayJob): Promise<void> {
  const post = (m: WorkerMessage) => port!.postMessage(m);
  try {
    const compiled = compileWithNode(job.sources);
    if (!compiled.ruleset) return post({ type: 'invalid', diagnostics: compiled.diagnostics });
    const own = job.db === null ? null : await openStore({ url: job.db, migrate: false, poolSize: 1 });
    try {
      const ledger = own ?? proxyLedger();
      const report = await replayFromLedger(ledger, { store: job.store, from: job.from, to: job.to, ruleset: compiled.ruleset, pageSize: job.pageSize });
      post({ type: 'done', report });
    } finally {
      await own?.close();
    }
  } catch (error) {
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error), unavailable: error instanceof StoreUnavailableError });
  }
}

/** The two reads, asked of the main thread. */
function proxyLedger(): ReplayLedger {
  let next = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  port!.on('message', (m: MainMessage) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.value);
    else w.reject(m.unavailable ? new StoreUnavailableError(m.message) : new Error(m.message));
  });
  const ask = <T>(message: ReadRequest): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      port!.postMessage({ ...message, id });
    });
  return {
    replayStartUsage: (_store, _from, discountIds) => ask<Usage>({ type: 'read', op: 'start', discountIds: [...discountIds] }),
    replayPages: () => ({
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const page = await ask<StoredRedemption[] | null>({ type: 'read', op: 'page' });
          return page === null ? { done: true as const, value: undefined } : { done: false as const, value: page };
        },
      }),
    }),
  };
}
