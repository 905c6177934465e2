// The three renderings of a Review: `text` for a terminal (everything), `markdown` for a
// pull-request comment (headings, tables, money in the store currency, each section within a
// line budget: the largest changes first, the rest counted), `json` (the Review itself, for
// tools). Pure: a Review in, a string out.

import { formatMoney } from '../domain/money.js';
import type { Diagnostic } from '../domain/types.js';
import { formatDiagnostic } from '../dsl/compile.js';
import { formatChange, type DiscountChange } from './discounts.js';
import { share } from './gate.js';
import type { CartImpact } from './money.js';
import type { Review } from './review.js';

export type ReviewFormat = 'text' | 'markdown' | 'json';

export function renderReview(review: Review, format: ReviewFormat): string {
  if (format === 'json') return JSON.stringify(review, null, 2) + '\n';
  return format === 'markdown' ? markdown(review) : text(review);
}

// ---------------------------------------------------------------------------
// Shared phrases

function moneyOf(r: Review): (m: number) => string {
  return (m) => formatMoney(m, r.currency, r.minorDigits);
}

function signed(r: Review, m: number): string {
  const f = moneyOf(r);
  return m > 0 ? `+${f(m)}` : m < 0 ? `-${f(-m)}` : f(0);
}

function kindCounts(r: Review): string {
  const counts = new Map<string, number>();
  for (const d of r.discounts) counts.set(d.kind, (counts.get(d.kind) ?? 0) + 1);
  const parts = (['added', 'removed', 'renamed', 'paused', 'resumed', 'changed'] as const).filter((k) => counts.has(k)).map((k) => `${counts.get(k)} ${k}`);
  return parts.length ? parts.join(', ') : 'no discount changes';
}

function appliedText(r: Review, c: CartImpact): string {
  const f = moneyOf(r);
  return c.discounts
    .map((d) => (d.before === null ? `+${d.discountId} ${f(d.after!)}` : d.after === null ? `-${d.discountId} ${f(d.before)}` : `${d.discountId} ${f(d.before)} -> ${f(d.after)}`))
    .join('; ');
}

function sideText(s: Review['base']): string {
  return s.label;
}

function summaryLine(r: Review): string {
  const m = r.money;
  const errors = r.diagnostics.new.filter((d) => d.severity === 'error').length;
  const parts = [
    kindCounts(r),
    `${errors} new error(s)`,
    r.pos ? `${r.pos.rows.length} POS sheet row(s) change` : 'POS sheet not compared',
    m.notPriced ? `carts not priced (${m.notPriced})` : `${m.summary.changed} of ${m.summary.carts} cart(s) change`,
  ];
  if (m.failingTests?.length) parts.push(`${m.failingTests.length} rule test(s) fail`);
  return parts.join(' · ');
}

function cartCounts(r: Review): string {
  const carts = r.money.carts.filter((c) => c.kind === 'cart').length;
  return `${carts} sample cart(s), ${r.money.carts.length - carts} rule-test case(s)`;
}

function testStatus(failedBefore: boolean | null): string {
  return failedBefore === null ? 'fails (the base rules have errors)' : failedBefore ? 'fails (failed at the base too)' : 'newly failing';
}

// ---------------------------------------------------------------------------
// Text

function text(r: Review): string {
  const out: string[] = [];
  const f = moneyOf(r);
  out.push(`discounts diff: ${sideText(r.base)} -> ${sideText(r.head)}`);
  out.push(`ruleset ${r.base.rulesetVersion ?? '(errors)'} -> ${r.head.rulesetVersion ?? '(errors)'}`);
  out.push(summaryLine(r), '');

  out.push(`What changed: ${kindCounts(r)}`);
  for (const d of r.discounts) out.push(...discountLines(d).map((l) => `  ${l}`));
  for (const p of r.notCompared) out.push(`  not compared: ${p} has errors on one side`);
  if (r.store === null) out.push('  store policy: not compared (store.yaml has errors on one side)');
  else if (r.store.length) out.push('  store policy:', ...r.store.map((c) => `    ${formatChange(c)}`));
  if (r.settings.length) out.push('  store settings (no effect on prices):', ...r.settings.map((c) => `    ${formatChange(c)}`));
  out.push('');

  out.push(`Diagnostics: ${r.diagnostics.new.length} new, ${r.diagnostics.fixed.length} fixed`);
  for (const d of r.diagnostics.new) out.push(`  new   ${formatDiagnostic(d)}`);
  for (const d of r.diagnostics.fixed) out.push(`  fixed ${formatDiagnostic(d)}`);
  out.push('');

  if (!r.pos) out.push('POS impact: not compared (the rules have errors on one side)');
  else {
    const sys = r.pos.system.before === r.pos.system.after ? r.pos.system.after : `${r.pos.system.before} -> ${r.pos.system.after}`;
    out.push(`POS impact (${sys}): ${r.pos.rows.length} row(s) of the POS sheet change${r.pos.integrated ? '' : ' (no POS integration: nothing to do in a POS)'}`);
    for (const row of r.pos.rows) {
      out.push(`  ${row.action.padEnd(6)} ${row.discountId} (POS discount ID ${posIds(row.posDiscountId)}): ${row.todo}`);
      for (const c of row.columns) out.push(`    ${formatChange(c)}`);
    }
  }
  out.push('');

  const m = r.money;
  if (m.notPriced) out.push(`Money impact on carts: not priced: ${m.notPriced}`);
  else {
    out.push(`Money impact on carts: ${m.summary.changed} of ${m.summary.carts} change (${cartCounts(r)})`);
    out.push(`  total discount ${f(m.summary.discountBefore)} -> ${f(m.summary.discountAfter)} (${signed(r, m.summary.discountAfter - m.summary.discountBefore)})`);
    for (const c of m.carts.filter((c) => c.changed))
      out.push(`  ${c.label}: total ${f(c.before.total)} -> ${f(c.after.total)} (${signed(r, c.delta)}, ${share(c.delta, c.before.total)})${c.discounts.length ? `; ${appliedText(r, c)}` : ''}`);
  }
  for (const u of r.unpriced) out.push(`  not priced: ${u.label}: ${u.reason}`);
  out.push('');

  if (m.failingTests === null) out.push('Rule tests: not run (the new rules have errors)');
  else {
    out.push(`Rule tests the new rules fail: ${m.failingTests.length} of ${m.testsRun}`);
    for (const t of m.failingTests) {
      out.push(`  FAIL ${t.label} (${testStatus(t.failedBefore)})`);
      for (const p of t.problems) out.push(...p.split('\n').map((l) => `    ${l}`));
    }
  }
  out.push('');

  out.push(...replayLines(r).map((l, i) => (i === 0 ? l : `  ${l}`)));
  if (r.gate.length) {
    out.push('');
    out.push(`Gate: ${r.gate.some((g) => g.holds) ? 'FAIL' : 'pass'}`);
    for (const g of r.gate) out.push(`  ${g.holds ? 'holds' : 'ok   '} ${g.rule}: ${g.because}`);
  }
  return out.join('\n') + '\n';
}

function posIds(p: { before: string | null; after: string | null }): string {
  if (p.before === null) return p.after!;
  if (p.after === null || p.before === p.after) return p.before;
  return `${p.before} -> ${p.after}`;
}

function discountLines(d: DiscountChange): string[] {
  const head = d.kind === 'renamed' ? `renamed ${d.from} -> ${d.id} (${JSON.stringify(d.name)}), same terms` : `${d.kind} ${d.id} (${JSON.stringify(d.name)})`;
  const lines = [head];
  if (d.kind === 'added' || d.kind === 'removed') lines.push(`  ${d.terms.join('; ')}`);
  for (const c of d.changes) lines.push(`  ${formatChange(c)}`);
  for (const n of d.notes) lines.push(`  note: ${n}`);
  return lines;
}

function replayLines(r: Review): string[] {
  const p = r.replay;
  if (!p) return [r.replayNotRun ? `Replay: not run: ${r.replayNotRun}` : 'Replay: not run (give --db to re-price the stored redemptions)'];
  const f = moneyOf(r);
  const out = [
    `Replay of the last ${p.days} day(s) (${p.from} to ${p.to}): ${p.changed} of ${p.transactions} transaction(s) change; discount given ${f(p.discountBefore)} -> ${f(p.discountAfter)} (${signed(r, p.discountAfter - p.discountBefore)})`,
  ];
  for (const d of p.perDiscount) out.push(`${d.discountId}: ${f(d.before)} -> ${f(d.after)} (${signed(r, d.after - d.before)}) in ${d.transactions} transaction(s)`);
  if (p.skipped) out.push(`${p.skipped} redemption(s) could not be re-priced`);
  return out;
}

// ---------------------------------------------------------------------------
// Markdown (a pull-request comment)

/** Line budgets per section: the comment stays within a few hundred lines whatever the change. */
const BUDGET = { discounts: 100, diagnostics: 30, pos: 50, carts: 40, tests: 50, replay: 25 } as const;

/** Adds rendered items while they fit the budget; the rest are counted in one line. */
function capped<T>(items: readonly T[], render: (t: T) => string[], budget: number, noun: string): string[] {
  const out: string[] = [];
  let shown = 0;
  for (const item of items) {
    const lines = render(item);
    if (out.length + lines.length > budget && shown > 0) break;
    out.push(...lines);
    shown++;
  }
  if (shown < items.length) out.push('', `…and ${items.length - shown} more ${noun} (the full list: \`discounts diff --format json\`)`);
  return out;
}

/** Text in a table cell: pipes escaped, no line breaks. */
function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code that survives backticks in the text. */
function code(s: string): string {
  const ticks = s.includes('`') ? '``' : '`';
  return `${ticks}${ticks === '``' ? ' ' : ''}${s.replace(/\r?\n/g, ' ')}${ticks === '``' ? ' ' : ''}${ticks}`;
}

function markdown(r: Review): string {
  const out: string[] = [];
  const f = moneyOf(r);
  out.push(`## Discount rules review: ${r.base.label} → ${r.head.label}`, '');
  out.push(`Ruleset ${code(r.base.rulesetVersion ?? 'errors')} → ${code(r.head.rulesetVersion ?? 'errors')} · ${summaryLine(r)}`, '');
  if (r.gate.length) {
    const failed = r.gate.filter((g) => g.holds);
    out.push(
      failed.length
        ? `**Gate failed**: ${failed.map((g) => `${code(g.rule)} (${cell(g.because)})`).join('; ')}`
        : `**Gate passed**: ${r.gate.map((g) => code(g.rule)).join(', ')}`,
      '',
    );
  }

  out.push(`### What changed`, '');
  if (!r.discounts.length && !r.notCompared.length && !r.store?.length && !r.settings.length && r.store !== null) out.push('No change in meaning: the discounts and the store policy compile to the same thing.');
  out.push(
    ...capped(
      r.discounts,
      (d) => {
        const title =
          d.kind === 'renamed'
            ? `- **renamed** ${code(d.from!)} → ${code(d.id)} (${escapeInline(d.name)}), same terms`
            : `- **${d.kind}** ${code(d.id)} (${escapeInline(d.name)})${d.kind === 'added' || d.kind === 'removed' ? `: ${escapeInline(d.terms.join('; '))}` : ''}`;
        return [title, ...d.changes.map((c) => `  - ${escapeInline(formatChange(c))}`), ...d.notes.map((n) => `  - _${escapeInline(n)}_`)];
      },
      BUDGET.discounts,
      'discount change(s)',
    ),
  );
  for (const p of r.notCompared) out.push(`- ${code(p)} has errors on one side: not compared`);
  if (r.store === null) out.push('', '**Store policy**: not compared (store.yaml has errors on one side)');
  else if (r.store.length) out.push('', '**Store policy**', '', ...r.store.map((c) => `- ${escapeInline(formatChange(c))}`));
  if (r.settings.length) out.push('', '**Store settings** (no effect on prices)', '', ...r.settings.map((c) => `- ${escapeInline(formatChange(c))}`));
  out.push('');

  out.push(`### Diagnostics: ${r.diagnostics.new.length} new, ${r.diagnostics.fixed.length} fixed`, '');
  const diags = [...r.diagnostics.new.map((d) => ['new', d] as const), ...r.diagnostics.fixed.map((d) => ['fixed', d] as const)];
  if (diags.length) {
    out.push('| | severity | where | code | message |', '|---|---|---|---|---|');
    out.push(...capped(diags, ([k, d]: readonly [string, Diagnostic]) => [`| ${k} | ${d.severity} | ${code(`${d.path}:${d.line}:${d.col}`)} | ${code(d.code)} | ${cell(d.message)} |`], BUDGET.diagnostics, 'diagnostic(s)'));
  } else out.push('None.');
  out.push('');

  if (!r.pos) out.push('### POS impact', '', 'Not compared: the rules have errors on one side.');
  else {
    const sys = r.pos.system.before === r.pos.system.after ? code(r.pos.system.after) : `${code(r.pos.system.before)} → ${code(r.pos.system.after)}`;
    out.push(`### POS impact (${sys}): ${r.pos.rows.length} POS sheet row(s) change`, '');
    if (!r.pos.integrated) out.push('The store has no POS integration (`pos: none`): nothing to do in a POS.', '');
    if (r.pos.rows.length) {
      out.push('| action | discount | POS discount ID | changes | to do |', '|---|---|---|---|---|');
      out.push(
        ...capped(
          r.pos.rows,
          (row) => [`| ${row.action} | ${code(row.discountId)} | ${cell(posIds(row.posDiscountId))} | ${row.columns.map((c) => cell(formatChange(c))).join('<br>') || '—'} | ${cell(row.todo)} |`],
          BUDGET.pos,
          'POS row(s)',
        ),
      );
    } else out.push('No row of the POS sheet changes.');
  }
  out.push('');

  const m = r.money;
  if (m.notPriced) out.push('### Money impact on carts', '', `Not priced: ${escapeInline(m.notPriced)}.`);
  else {
    out.push(`### Money impact on carts: ${m.summary.changed} of ${m.summary.carts} change`, '');
    out.push(
      `Total discount over ${cartCounts(r)}: ${f(m.summary.discountBefore)} → ${f(m.summary.discountAfter)} (${signed(r, m.summary.discountAfter - m.summary.discountBefore)}).`,
      '',
    );
    const changed = m.carts.filter((c) => c.changed);
    if (changed.length) {
      out.push('| cart | at | total before | total after | change | discounts |', '|---|---|---:|---:|---:|---|');
      out.push(
        ...capped(
          changed,
          (c) => [`| ${code(c.label)} | ${c.at ?? 'now'} | ${f(c.before.total)} | ${f(c.after.total)} | ${signed(r, c.delta)} (${share(c.delta, c.before.total)}) | ${cell(appliedText(r, c)) || '—'} |`],
          BUDGET.carts,
          'changed cart(s)',
        ),
      );
    }
  }
  if (r.unpriced.length) out.push('', ...r.unpriced.map((u) => `- not priced: ${code(u.label)}: ${escapeInline(u.reason)}`));
  out.push('');

  if (m.failingTests === null) out.push('### Rule tests', '', 'Not run: the new rules have errors.');
  else if (!m.failingTests.length) out.push('### Rule tests', '', `All ${m.testsRun} rule-test case(s) pass with the new rules.`);
  else {
    out.push(`### Rule tests the new rules fail: ${m.failingTests.length} of ${m.testsRun}`, '');
    out.push(
      ...capped(
        m.failingTests,
        (t) => {
          const problems = t.problems.flatMap((p) => p.split('\n'));
          const shown = problems.slice(0, 8);
          return [`- ${code(t.label)}: ${testStatus(t.failedBefore)}`, '  ```', ...shown.map((l) => `  ${l}`), ...(problems.length > shown.length ? [`  … ${problems.length - shown.length} more line(s)`] : []), '  ```'];
        },
        BUDGET.tests,
        'failing case(s)',
      ),
    );
  }
  out.push('');

  out.push('### Replay', '');
  const p = r.replay;
  if (!p) out.push(r.replayNotRun ? `Not run: ${escapeInline(r.replayNotRun)}.` : 'Not run (`--db` re-prices the stored redemptions of the last days with both rulesets).');
  else {
    out.push(
      `Last ${p.days} day(s) (${p.from} to ${p.to}): ${p.changed} of ${p.transactions} transaction(s) change; discount given ${f(p.discountBefore)} → ${f(p.discountAfter)} (${signed(r, p.discountAfter - p.discountBefore)}).`,
      '',
    );
    if (p.perDiscount.length) {
      out.push('| discount | before | after | change | transactions |', '|---|---:|---:|---:|---:|');
      out.push(...capped(p.perDiscount, (d) => [`| ${code(d.discountId)} | ${f(d.before)} | ${f(d.after)} | ${signed(r, d.after - d.before)} | ${d.transactions} |`], BUDGET.replay, 'discount(s)'));
    }
    if (p.skipped) out.push('', `${p.skipped} redemption(s) could not be re-priced.`);
  }
  out.push('');
  out.push(`<sub>\`discounts diff\`: ${r.base.commit ? `base ${code(r.base.commit.slice(0, 12))}` : r.base.label}, ruleset ${code(r.head.rulesetVersion ?? 'errors')}</sub>`);
  return out.join('\n') + '\n';
}

/** Markdown outside code: characters that would start formatting are escaped. */
function escapeInline(s: string): string {
  return s.replace(/([\\`*_[\]<|])/g, '\\$1').replace(/\r?\n/g, ' ');
}
