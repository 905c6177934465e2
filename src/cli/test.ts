// `discounts test [paths]`: runs rule test files (rules/tests/*.test.yaml). Each file is a list of
// cases; a case is an evaluate request plus an optional `name` and `usage`, and its `expect`
// (required: a case that expects nothing would always pass). The ruleset of a test file is the
// directory above its tests/ folder.

import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { formatDiagnostic, sortDiagnostics, TEST_FILE } from '../dsl/compile.js';
import { schemaIssues, validators } from '../dsl/schemas.js';
import { parseSource } from '../dsl/source.js';
import type { Diagnostic, EvaluateRequest, EvaluateResponse, Usage } from '../domain/types.js';
import { evaluate } from '../engine/evaluate.js';
import { checkRequest, checkUsageIds } from '../engine/request.js';
import { isDirectory, listFiles, loadRuleset, type LoadedRuleset } from '../ruleset/load.js';
import { EXIT, type CliIO } from './io.js';

export interface Expectation {
  subtotal?: number;
  discountTotal?: number;
  total?: number;
  applied?: { discountId: string; amount: number; funding?: { vendor: string; amount: number } | null }[];
  lines?: Record<string, number>;
  rejected?: { code?: string | null; discountId?: string | null; reason: string }[];
}

/** Differences between an expectation and a response, one readable line (or block) each. */
export function compareExpectation(expect: Expectation, actual: EvaluateResponse): string[] {
  const out: string[] = [];
  for (const k of ['subtotal', 'discountTotal', 'total'] as const) {
    if (expect[k] !== undefined && expect[k] !== actual[k]) out.push(`${k}: expected ${expect[k]}, got ${actual[k]}`);
  }
  if (expect.applied) {
    // `funding` is compared on the entries that state it (same position), so a case may leave it out.
    const want = expect.applied.map((a) => ({ discountId: a.discountId, amount: a.amount, ...('funding' in a ? { funding: a.funding ?? null } : {}) }));
    const got = actual.applied.map((a, i) => ({
      discountId: a.discountId,
      amount: a.amount,
      ...(want[i] && 'funding' in want[i] ? { funding: a.funding } : {}),
    }));
    if (JSON.stringify(got) !== JSON.stringify(want)) out.push(`applied:\n    - ${JSON.stringify(want)}\n    + ${JSON.stringify(got)}`);
  }
  if (expect.lines) {
    for (const [id, discount] of Object.entries(expect.lines)) {
      const line = actual.lines.find((l) => l.id === id);
      if (!line) out.push(`lines.${id}: expected discount ${discount}, but the cart has no line '${id}'`);
      else if (line.discount !== discount) out.push(`lines.${id}: expected discount ${discount}, got ${line.discount}`);
    }
  }
  if (expect.rejected) {
    const project = (r: { code?: string | null; discountId?: string | null; reason: string }, like: object) => {
      const o: Record<string, unknown> = {};
      if ('code' in like) o.code = r.code ?? null;
      if ('discountId' in like) o.discountId = r.discountId ?? null;
      o.reason = r.reason;
      return o;
    };
    const ok =
      expect.rejected.length === actual.rejected.length &&
      expect.rejected.every((e, i) => JSON.stringify(project(e, e)) === JSON.stringify(project(actual.rejected[i], e)));
    if (!ok) {
      const got = actual.rejected.map((r, i) => project(r, expect.rejected![i] ?? { discountId: null }));
      out.push(`rejected:\n    - ${JSON.stringify(expect.rejected.map((e) => project(e, e)))}\n    + ${JSON.stringify(got)}`);
    }
  }
  return out;
}

export interface RuleTestCase {
  /** 0-based position in the file, and the line the case starts on. */
  index: number;
  line: number;
  name: string | null;
  usage: Usage;
  expect: Expectation;
  request: EvaluateRequest;
}

/**
 * A rule test file checked on its own: YAML syntax, the rule-test schema (which includes the
 * request's fields), then each case's request as `evaluate` would check it (unique line ids, a
 * real date in `at`). Problems are test_schema_error diagnostics located in the file. Pure.
 */
export function checkTestFile(path: string, text: string): { cases: RuleTestCase[] | null; diagnostics: Diagnostic[] } {
  const src = parseSource(path, text);
  if (src.diagnostics.length) return { cases: null, diagnostics: src.diagnostics };
  const diagnostics: Diagnostic[] = [];
  const error = (pointer: readonly (string | number)[], message: string) =>
    diagnostics.push({ path, ...src.locate(pointer), severity: 'error', code: 'test_schema_error', message });
  const issues = schemaIssues(validators.ruleTest(src.value) ? null : validators.ruleTest.errors, src.value);
  for (const i of issues) error(i.pointer, i.message);
  if (!Array.isArray(src.value)) return { cases: null, diagnostics: sortDiagnostics(diagnostics) };
  // Cases the schema found nothing wrong with are checked as requests too, so every problem shows at once.
  const malformed = new Set(issues.map((i) => i.pointer[0]));
  const cases: RuleTestCase[] = [];
  (src.value as ({ name?: string; usage?: Usage; expect: Expectation } & Record<string, unknown>)[]).forEach((c, index) => {
    if (malformed.has(index)) return;
    const { name, usage, expect, ...request } = c;
    const checked = checkRequest(request);
    if (!checked.ok) {
      for (const e of checked.errors) {
        const pointer = e.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
        error([index, ...pointer], `[${index}].${e.message}`);
      }
      return;
    }
    cases.push({ index, line: src.locate([index]).line, name: name ?? null, usage: usage ?? {}, expect, request: checked.value });
  });
  if (diagnostics.length) return { cases: null, diagnostics: sortDiagnostics(diagnostics) };
  return { cases, diagnostics };
}

export async function testCommand(args: { positionals: string[] }, io: CliIO): Promise<number> {
  const paths = args.positionals.length ? args.positionals : ['rules/tests'];
  const files: string[] = [];
  for (const p of paths) {
    const abs = resolve(io.cwd, p);
    if (await isDirectory(abs)) {
      const names = await listFiles(abs, p, (n) => TEST_FILE.test(n));
      files.push(...names.map((n) => join(p, n)));
    } else files.push(p);
  }
  let passed = 0;
  let failed = 0;
  let unreadable = false;
  const rulesets = new Map<string, LoadedRuleset>();
  for (const file of files) {
    const text = await readFile(resolve(io.cwd, file), 'utf8').catch(() => null);
    if (text === null) {
      io.stderr(`discounts test: cannot read ${file}\n`);
      unreadable = true;
      continue;
    }
    const checked = checkTestFile(file, text);
    for (const d of checked.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
    if (!checked.cases) {
      // A file that cannot be read as test cases is one failure, whatever it holds.
      failed++;
      io.stdout(`FAIL ${file}: not run: the test file has errors\n`);
      continue;
    }
    const rulesDir = dirname(dirname(resolve(io.cwd, file)));
    const rulesDisplay = relative(io.cwd, rulesDir) || '.';
    let loaded = rulesets.get(rulesDir);
    if (!loaded) {
      loaded = await loadRuleset(rulesDir, rulesDisplay);
      rulesets.set(rulesDir, loaded);
      // Printed once per rules directory, however many cases and files use it.
      if (!loaded.prepared) for (const d of loaded.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
    }
    if (!loaded.prepared) {
      failed += checked.cases.length;
      io.stdout(`FAIL ${file}: ${checked.cases.length} case(s) not run: the rules in ${rulesDisplay} have errors\n`);
      continue;
    }
    const ids = loaded.ruleset!.discounts.map((d) => d.id);
    for (const c of checked.cases) {
      const label = `${file}:${c.line}: ${c.name ?? `case ${c.index + 1}`}`;
      // Counts for an id the rules do not have would test a limit that is not there.
      const unknown = checkUsageIds(c.usage, ids);
      const problems = unknown.length
        ? unknown.map((e) => `usage: ${e.message}`)
        : compareExpectation(c.expect, evaluate(loaded.prepared, c.request, { now: io.now(), usage: c.usage }));
      if (problems.length === 0) passed++;
      else {
        failed++;
        io.stdout(`FAIL ${label}\n${problems.map((p) => `  ${p}\n`).join('')}`);
      }
    }
  }
  io.stdout(`${passed} passed, ${failed} failed\n`);
  if (unreadable) return EXIT.usage;
  return failed > 0 ? EXIT.failed : EXIT.ok;
}
