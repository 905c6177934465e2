// The server's cleanup (docs/cleanup.md): POST /v1/admin/cleanup and the optional daily run
// (store.yaml cleanup.daily, store time). Both move the finished discounts' files of the served
// rules directory to archive/ and reload. Runs of one process go one at a time; the daily run
// also takes the day's lease in the database (src/store/cleanup.ts), so of several instances
// sharing the rules only one runs it per day.

import { hostname } from 'node:os';
import { minutesOfDay, wallTimeAt, formatDate } from '../domain/time.js';
import { cleanupRulesDir, type CleanupResult } from '../ruleset/archive.js';
import type { RouteContext } from './context.js';

export interface ServerCleanupResult extends CleanupResult {
  /** The served version after the run (a reload follows any move), and the reload's outcome. */
  rulesetVersion: string;
  reload?: { ok: boolean; message?: string };
}

export type DailyOutcome = 'off' | 'not_due' | 'done_today' | 'taken_elsewhere' | 'ran' | 'failed';

export class ServerCleanup {
  #chain: Promise<unknown> = Promise.resolve();
  /** The store-local date of the last daily run this instance ran or saw taken. */
  #lastDaily: string | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  /** Another instance took today's run: reload at the next tick to serve what it archived (shared rules). */
  #reloadNext = false;
  readonly holder = `${hostname()}:${process.pid}`;

  constructor(private readonly ctx: RouteContext) {}

  /** One cleanup of the served rules directory, then a reload when a file moved. */
  run(dryRun: boolean, trigger: 'http' | 'daily'): Promise<ServerCleanupResult> {
    const run = this.#chain.then(async () => {
      const served = this.ctx.ruleset();
      const ledger = this.ctx.store.cleanup();
      const result = await cleanupRulesDir({
        dir: served.dir,
        displayDir: served.displayDir,
        store: served.compiled.policy.store,
        discounts: served.compiled.discounts,
        graceDays: served.compiled.settings.cleanup.graceDays,
        now: this.ctx.now(),
        dryRun,
        usageEnds: (store, ids) => this.ctx.ledger('cleanup usage', () => ledger.usageEnds(store, ids)),
      });
      const moved = result.discounts.filter((d) => d.moved);
      this.ctx.logger.info('cleanup', { trigger, dryRun, moved: moved.map((d) => d.id), finished: result.discounts.length, references: result.references.length });
      if (moved.length === 0) return { ...result, rulesetVersion: served.version };
      const outcome = await this.ctx.reload('http');
      return {
        ...result,
        rulesetVersion: this.ctx.rulesets.current?.version ?? served.version,
        reload: outcome.ok ? { ok: true } : { ok: false, message: outcome.message },
      };
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** The daily run, when cleanup.daily is set and its time has come today (store time). */
  async tick(): Promise<DailyOutcome> {
    const served = this.ctx.rulesets.current;
    const daily = served?.compiled.settings.cleanup.daily ?? null;
    if (!served || daily === null) return 'off';
    if (this.#reloadNext) {
      this.#reloadNext = false;
      await this.ctx.reload('signal');
    }
    const now = this.ctx.now();
    const wall = wallTimeAt(now, served.compiled.policy.timezone);
    const today = formatDate(wall);
    if (this.#lastDaily === today) return 'done_today';
    if (wall.hour * 60 + wall.minute < minutesOfDay(daily)) return 'not_due';
    try {
      const taken = await this.ctx.ledger('cleanup lease', () =>
        this.ctx.store.cleanup().takeDailyLease(`cleanup:${served.compiled.policy.store}`, today, this.holder, new Date(now).toISOString()),
      );
      this.#lastDaily = today;
      if (!taken) {
        this.#reloadNext = true;
        return 'taken_elsewhere';
      }
      await this.run(false, 'daily');
      return 'ran';
    } catch (err) {
      this.ctx.logger.warn('daily cleanup failed; retried at the next tick', { error: (err as Error).message });
      return 'failed';
    }
  }

  /** Checks every `intervalMs` (default a minute) whether the daily run is due. */
  start(intervalMs = 60_000): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), intervalMs);
    this.#timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#chain;
  }
}
