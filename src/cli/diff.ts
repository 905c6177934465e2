// `discounts diff [--base REV] [--rules DIR] [--carts DIR] [--db PATH-or-URL --days N]
// [--format text|markdown|json] [--fail-on RULE]...`: the rules directory at a git revision (read
// with git, never checked out) against the work tree, reviewed by src/review. Thin: reads the
// files, hands texts and carts to buildReview, prints the rendering, exits by the gate.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TEST_FILE, type CompiledRuleset, type RuleSource } from '../dsl/compile.js';
import type { Diagnostic } from '../domain/types.js';
import { checkRequest } from '../engine/request.js';
import { parseGate } from '../review/gate.js';
import type { PricedCart, RuleTestCase } from '../review/money.js';
import { renderReview, type ReviewFormat } from '../review/render.js';
import { replayDiff, replayWindow } from '../review/replay.js';
import { buildReview, compileSide, type ReplayImpact, type ReviewSideInput } from '../review/review.js';
import { describeStoreLocation, openStore, parseStoreLocation } from '../store/open.js';
import { StoreUnavailableError } from '../store/types.js';
import { GitError, readRulesAtRevision } from '../ruleset/git.js';
import { isDirectory, listFiles, nodeSha256Hex, readRulesDir, readTexts } from '../ruleset/load.js';
import { EXIT, UsageError, type CliIO, storeSettingOrUsage } from './io.js';
import { checkTestFile, compareExpectation, type Expectation } from './test.js';

export interface DiffArgs {
  values: { base?: string; rules?: string; carts?: string; db?: string; days?: string; format?: string; 'fail-on'?: string[] };
  positionals: string[];
}

const FORMATS: readonly ReviewFormat[] = ['text', 'markdown', 'json'];

export async function diffCommand(args: DiffArgs, io: CliIO): Promise<number> {
  const v = args.values;
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}' (the rules directory is --rules DIR)`);
  const format = (v.format ?? 'text') as ReviewFormat;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be text, markdown or json, not '${v.format}'`);
  const gate = parseGate(v['fail-on'] ?? []);
  if (!gate.ok) throw new UsageError(gate.message);
  if (v.days !== undefined && v.db === undefined) throw new UsageError('--days needs --db (it is the replay window)');
  if (v.days !== undefined && !/^[1-9]\d{0,4}$/.test(v.days)) throw new UsageError(`--days must be a whole number of days from 1 to 99999, not '${v.days}'`);
  const rev = v.base ?? 'HEAD';
  const dir = v.rules ?? 'rules';
  const abs = resolve(io.cwd, dir);

  let snapshot;
  try {
    snapshot = await readRulesAtRevision(io.cwd, dir, dir, rev, (n) => TEST_FILE.test(n));
  } catch (err) {
    if (err instanceof GitError) {
      io.stderr(`discounts diff: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
  if (!(await isDirectory(abs))) throw new UsageError(`cannot read directory ${dir}: not a directory`);
  const head = await readRulesDir(abs, dir);
  const headTests = await readTestFiles(abs, dir);
  const parsedHead = parseTests(headTests);
  const baseTests = parseTests(snapshot.tests);
  const { carts, unpriced } = await readCarts(io, v.carts ?? join(dir, 'carts'), v.carts !== undefined);

  const now = io.now();
  const options = { sha256Hex: nodeSha256Hex };
  const baseSide: ReviewSideInput = {
    label: `${rev} (${snapshot.revision.commit.slice(0, 7)})`,
    revision: rev,
    commit: snapshot.revision.commit,
    sources: snapshot.sources,
    testDiagnostics: baseTests.diagnostics,
  };
  const headSide: ReviewSideInput = { label: 'work tree', revision: null, commit: null, sources: head, testDiagnostics: parsedHead.diagnostics };
  const compiled = { base: compileSide(baseSide, options), head: compileSide(headSide, options) };
  let replay: ReplayImpact | null = null;
  let replayNotRun: string | null = null;
  if (v.db !== undefined) {
    const days = Number(v.days ?? 30);
    const b = compiled.base.ruleset;
    const h = compiled.head.ruleset;
    if (!b || !h) replayNotRun = `the rules at ${b ? headSide.label : baseSide.label} have errors`;
    else {
      const result = await replayLedger(io, v.db, days, now, b, h);
      if (typeof result === 'number') return result;
      replay = result;
    }
  }
  const review = buildReview({
    base: baseSide,
    head: headSide,
    compiled,
    replay,
    replayNotRun,
    carts,
    unpriced,
    tests: parsedHead.cases,
    now,
    check: (expect, response) => compareExpectation(expect as Expectation, response),
    gate: gate.rules,
    options,
  });
  io.stdout(renderReview(review, format));
  return review.gate.some((g) => g.holds) ? EXIT.failed : EXIT.ok;
}

/**
 * The replay of the last `days` days (store-local, the base store policy's zone and store id: the
 * ledger's rows were made under it) over an existing ledger, never created or migrated. A ledger
 * that cannot be read is exit 2 (returned as a number).
 */
async function replayLedger(
  io: CliIO,
  db: string,
  days: number,
  now: number,
  base: CompiledRuleset,
  head: CompiledRuleset,
): Promise<ReplayImpact | number> {
  const setting = storeSettingOrUsage(db, {});
  const location = parseStoreLocation(db);
  const url = location.dialect === 'postgres' ? db : resolve(io.cwd, location.path);
  if (location.dialect === 'sqlite' && !existsSync(url)) throw new UsageError(`no ledger at ${location.path} (--db reads an existing database)`);
  const window = replayWindow(now, base.policy.timezone, days);
  try {
    const store = await openStore({ url, migrate: false, poolSize: 1, busyTimeoutMs: setting.busyTimeoutMs });
    try {
      return await replayDiff(store, { store: base.policy.store, ...window, days, base, head });
    } finally {
      await store.close();
    }
  } catch (err) {
    if (!(err instanceof StoreUnavailableError) && !/no such table|does not exist/i.test((err as Error).message)) throw err;
    io.stderr(`discounts diff: cannot read the ledger ${describeStoreLocation(db)}: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
}

/** The test files of DIR/tests (none when there is no such folder). */
async function readTestFiles(abs: string, dir: string): Promise<RuleSource[]> {
  const testsAbs = join(abs, 'tests');
  if (!(await isDirectory(testsAbs))) return [];
  const names = await listFiles(testsAbs, join(dir, 'tests'), (n) => TEST_FILE.test(n));
  const texts = await readTexts(names.map((n) => [join(testsAbs, n), join(dir, 'tests', n)]));
  return names.map((n, i) => ({ path: join(dir, 'tests', n), text: texts[i] }));
}

/** Rule test files checked as `discounts validate` does; the cases of the well-formed ones, labelled as `discounts test` does. */
function parseTests(files: RuleSource[]): { diagnostics: Diagnostic[]; cases: RuleTestCase[] } {
  const diagnostics: Diagnostic[] = [];
  const cases: RuleTestCase[] = [];
  for (const f of files) {
    const checked = checkTestFile(f.path, f.text);
    diagnostics.push(...checked.diagnostics);
    for (const c of checked.cases ?? [])
      cases.push({ kind: 'test', label: `${f.path}:${c.line}: ${c.name ?? `case ${c.index + 1}`}`, request: c.request, usage: c.usage, expect: c.expect });
  }
  return { diagnostics, cases };
}

/**
 * The sample carts (*.json) of the carts folder, each an evaluate request. A missing default
 * folder means no carts; a --carts folder that cannot be read is a usage error. A cart that is not
 * a valid request is listed as not priced, with why.
 */
async function readCarts(io: CliIO, dir: string, explicit: boolean): Promise<{ carts: PricedCart[]; unpriced: { label: string; reason: string }[] }> {
  const abs = resolve(io.cwd, dir);
  if (!(await isDirectory(abs))) {
    if (explicit) throw new UsageError(`cannot read directory ${dir} (--carts)`);
    return { carts: [], unpriced: [] };
  }
  const names = await listFiles(abs, dir, (n) => /\.json$/i.test(n));
  const carts: PricedCart[] = [];
  const unpriced: { label: string; reason: string }[] = [];
  for (const n of names) {
    const label = join(dir, n);
    const text = await readFile(join(abs, n), 'utf8').catch(() => null);
    if (text === null) {
      unpriced.push({ label, reason: 'cannot be read' });
      continue;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      unpriced.push({ label, reason: `not valid JSON: ${(err as Error).message}` });
      continue;
    }
    const req = checkRequest(body);
    if (!req.ok) unpriced.push({ label, reason: req.errors.map((e) => `${e.code} at ${e.path || '/'}: ${e.message}`).join('; ') });
    else carts.push({ kind: 'cart', label, request: req.value, usage: {} });
  }
  return { carts, unpriced };
}
