// POST /v1/reports/replay (editor scope; admin too): what-if replay of the period's committed, not
// voided redemptions with the served ruleset, drafts in place of their files (by `path`, else as
// `<id>.yaml`), and the files of the `remove` ids left out. The drafted ruleset is compiled and
// the ledger replayed in a worker (src/reports/replay-runner.ts), one replay at a time per
// instance: a second request while one runs gets 503 unavailable with Retry-After at once. A
// drafted ruleset with errors is 422 invalid_rule with the diagnostics. Reads the ledger only.

import { basename, join } from 'node:path';
import { formatDiagnostic, type RuleSource } from '../../dsl/compile.js';
import type { Diagnostic } from '../../domain/types.js';
import { checkPeriod } from '../../reports/replay-ledger.js';
import { ReplayRunner, type ReplayRunnerOptions } from '../../reports/replay-runner.js';
import { STORE_FILE, type LoadedSources } from '../../ruleset/load.js';
import { readJsonBody } from '../body.js';
import type { AppHono, RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { parseBody } from '../schemas.js';
import type { ServedRuleset } from '../ruleset.js';
import { draftFileName } from '../validate-draft.js';

/** The longest period one replay covers. */
export const MAX_REPLAY_DAYS = 366;
/** What a second request is told to wait while a replay runs (seconds). */
export const REPLAY_RETRY_AFTER_S = 5;

export interface ReplayRequest {
  from: string;
  to: string;
  drafts: { text: string; path?: string }[];
  remove?: string[];
}

export function replayRoutes(app: AppHono, ctx: RouteContext, options: Omit<ReplayRunnerOptions, 'store'> = {}): ReplayRunner {
  const runner = new ReplayRunner({ ...options, store: ctx.store });

  app.post('/v1/reports/replay', ctx.scope('editor'), async (c) => {
    const body = parseBody<ReplayRequest>('ReplayRequest', await readJsonBody(c));
    checkReplayPeriod(body.from, body.to);
    const served = ctx.ruleset();
    const { sources, paths } = draftedSources(served, body);
    if (runner.busy) throw busy();
    const outcome = await runner.run({ sources, store: served.compiled.policy.store, from: body.from, to: body.to });
    switch (outcome.kind) {
      case 'report':
        return c.json(outcome.report);
      case 'invalid':
        throw invalidDraft(served, outcome.diagnostics, paths, body.drafts.some((d) => (d.path ?? draftFileName(d.text)) === STORE_FILE));
      case 'busy':
        throw busy();
      case 'timeout':
        throw new ApiError('unavailable', 'the replay ran past its time limit and was stopped; try a shorter period', { headers: { 'Retry-After': String(REPLAY_RETRY_AFTER_S) } });
      case 'failed':
        if (outcome.unavailable) {
          ctx.logger.warn('ledger unavailable', { operation: 'replay', error: outcome.message });
          throw new ApiError('unavailable', 'the ledger is unavailable (replay); retry shortly', { headers: { 'Retry-After': '1' } });
        }
        throw new Error(`replay failed: ${outcome.message}`);
    }
  });
  return runner;
}

function busy(): ApiError {
  return new ApiError('unavailable', 'a replay is already running on this instance; retry when it is done', {
    headers: { 'Retry-After': String(REPLAY_RETRY_AFTER_S) },
    details: [{ path: '', message: 'one replay runs at a time per instance' }],
  });
}

/** from and to: real dates, from before to, at most MAX_REPLAY_DAYS apart (400 invalid_request). */
export function checkReplayPeriod(from: string, to: string): void {
  try {
    checkPeriod(from, to);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const path = err.message.startsWith('to ') ? '/to' : '/from';
    throw new ApiError('invalid_request', err.message, { details: [{ path, message: err.message }] });
  }
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
  if (days > MAX_REPLAY_DAYS)
    throw new ApiError('invalid_request', `the period is ${days} days; a replay covers at most ${MAX_REPLAY_DAYS}`, { details: [{ path: '/to', message: `at most ${MAX_REPLAY_DAYS} days after from` }] });
}

/** The served sources with the drafts in place of their files and the removed discounts' files left out. */
export function draftedSources(served: ServedRuleset, body: Pick<ReplayRequest, 'drafts' | 'remove'>): { sources: LoadedSources; paths: string[] } {
  const dir = served.displayDir;
  const replace = new Map<string, string | null>();
  const paths: string[] = [];
  body.drafts.forEach((d, i) => {
    const name = d.path ?? draftFileName(d.text);
    if (replace.has(name)) throw new ApiError('invalid_request', `two drafts are replayed as ${name}`, { details: [{ path: `/drafts/${i}`, message: `${name} is already a draft` }] });
    replace.set(name, d.text);
    paths.push(join(dir, name));
  });
  (body.remove ?? []).forEach((id, i) => {
    const discount = served.compiled.discounts.find((d) => d.id === id);
    if (!discount) throw new ApiError('invalid_request', `the served ruleset has no discount '${id}' to remove`, { details: [{ path: `/remove/${i}`, message: 'unknown discount id' }] });
    const name = basename(discount.source);
    if (replace.has(name))
      throw new ApiError('invalid_request', `${name} (discount '${id}') is both a draft and removed`, { details: [{ path: `/remove/${i}`, message: `${name} is a draft` }] });
    replace.set(name, null);
  });
  const rules: RuleSource[] = served.sources.rules.filter((r) => !replace.has(basename(r.path)));
  let store = served.sources.store;
  for (const [name, text] of replace) {
    if (name === STORE_FILE) store = text === null ? null : { path: join(dir, name), text };
    else if (text !== null) rules.push({ path: join(dir, name), text });
  }
  return { sources: { store, storePath: served.sources.storePath, rules }, paths };
}

/** 422 with the drafts' own diagnostics (or every error when the drafts only broke another file). */
function invalidDraft(served: ServedRuleset, diagnostics: Diagnostic[], paths: string[], storeDrafted: boolean): ApiError {
  const drafted = new Set(paths);
  const before = new Set(served.diagnostics.map(formatDiagnostic));
  const own = diagnostics.filter((d) => drafted.has(d.path) || storeDrafted || (d.severity === 'error' && !before.has(formatDiagnostic(d))));
  const mine = own.filter((d) => d.severity === 'error');
  const shown = mine.length ? own : diagnostics;
  const errors = shown.filter((d) => d.severity === 'error');
  return new ApiError('invalid_rule', mine.length ? `the drafts have ${mine.length} error(s); fix them to replay` : `the ruleset with the drafts has ${errors.length} error(s)`, {
    details: errors.map((d) => ({ path: `${d.path}:${d.line}:${d.col}`, message: `${d.code}: ${d.message}` })),
    extra: { diagnostics: shown },
  });
}
