// `discounts test [paths]`: runs rule test files (rules/tests/*.test.yaml). Each file is a list of
// cases; a case is an evaluate request plus optional `name`, `usage` and `expect`. The ruleset of
// a test file is the directory above its tests/ folder.

import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { formatDiagnostic } from '../dsl/compile.js';
import { schemaIssues, validators } from '../dsl/schemas.js';
import { parseSource } from '../dsl/source.js';
import type { EvaluateResponse, Usage } from '../domain/types.js';
import { evaluate } from '../engine/evaluate.js';
import { checkRequest } from '../engine/request.js';
import { isDirectory, listFiles, loadRuleset, type LoadedRuleset } from '../ruleset/load.js';
import { EXIT, type CliIO } from './io.js';

const TEST_FILE = /\.test\.(ya?ml|json)$/i;

export interface Expectation {
  subtotal?: number;
  discountTotal?: number;
  total?: number;
  applied?: { discountId: string; amount: number }[];
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
    const got = actual.applied.map((a) => ({ discountId: a.discountId, amount: a.amount }));
    if (JSON.stringify(got) !== JSON.stringify(expect.applied.map((a) => ({ discountId: a.discountId, amount: a.amount }))))
      out.push(`applied:\n    - ${JSON.stringify(expect.applied)}\n    + ${JSON.stringify(got)}`);
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
  let broken = false;
  let unreadable = false;
  const rulesets = new Map<string, LoadedRuleset>();
  for (const file of files) {
    const text = await readFile(resolve(io.cwd, file), 'utf8').catch(() => null);
    if (text === null) {
      io.stderr(`discounts test: cannot read ${file}\n`);
      unreadable = true;
      continue;
    }
    const src = parseSource(file, text);
    const issues = src.diagnostics.length ? [] : schemaIssues(validators.ruleTest(src.value) ? null : validators.ruleTest.errors, src.value);
    if (src.diagnostics.length || issues.length) {
      for (const d of src.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
      for (const i of issues) {
        const { line, col } = src.locate(i.pointer);
        io.stderr(`${file}:${line}:${col}: error test_schema_error: ${i.message}\n`);
      }
      broken = true;
      continue;
    }
    const rulesDir = dirname(dirname(resolve(io.cwd, file)));
    const rulesDisplay = relative(io.cwd, rulesDir) || '.';
    let loaded = rulesets.get(rulesDir);
    if (!loaded) {
      loaded = await loadRuleset(rulesDir, rulesDisplay);
      rulesets.set(rulesDir, loaded);
      if (!loaded.prepared) for (const d of loaded.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
    }
    const cases = src.value as ({ name?: string; usage?: Usage; expect?: Expectation } & Record<string, unknown>)[];
    cases.forEach((c, index) => {
      const { name, usage, expect, ...request } = c;
      const { line } = src.locate([index]);
      const label = `${file}:${line}: ${name ?? `case ${index + 1}`}`;
      const problems: string[] = [];
      const checked = checkRequest(request);
      if (!loaded!.prepared) problems.push(`the rules in ${rulesDisplay} have errors`);
      else if (!checked.ok) for (const e of checked.errors) problems.push(`request ${e.path || '/'}: ${e.message}`);
      else problems.push(...compareExpectation(expect ?? {}, evaluate(loaded!.prepared, checked.value, { now: io.now(), usage: usage ?? {} })));
      if (problems.length === 0) passed++;
      else {
        failed++;
        io.stdout(`FAIL ${label}\n${problems.map((p) => `  ${p}\n`).join('')}`);
      }
    });
  }
  io.stdout(`${passed} passed, ${failed} failed\n`);
  if (unreadable) return EXIT.usage;
  return failed > 0 || broken ? EXIT.failed : EXIT.ok;
}
