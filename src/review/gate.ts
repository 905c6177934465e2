// The --fail-on gate of `discounts diff`: `errors` (new errors), `pos` (any POS change), and
// `money:<percent>` (any sample cart's total changes by more than that share of its total
// before; the sample carts of rules/carts or --carts, as the issue words it: the rule-test cases
// have their own verdict, the rule tests the new rules fail). Several rules may be given; the
// gate fails when one holds. Pure.

import { decimalToScaled, mulDivHalfUp } from '../domain/money.js';
import type { Review } from './review.js';

export type GateRule = { kind: 'errors' } | { kind: 'pos' } | { kind: 'money'; percent: string; bps: number };

export interface GateResult {
  rule: string;
  holds: boolean;
  /** Why it holds (or that it does not). */
  because: string;
}

/**
 * Parses --fail-on values (each may be a comma-separated list). Returns the rules, or an error
 * message naming the bad one.
 */
export function parseGate(values: readonly string[]): { ok: true; rules: GateRule[] } | { ok: false; message: string } {
  const rules: GateRule[] = [];
  for (const raw of values.flatMap((v) => v.split(','))) {
    const v = raw.trim();
    if (v === 'errors' || v === 'pos') rules.push({ kind: v });
    else if (v.startsWith('money:')) {
      const text = v.slice('money:'.length).replace(/%$/, '');
      const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
      const bps = Number.isFinite(n) ? decimalToScaled(n, 2) : null;
      if (bps === null || bps > 1_000_000)
        return { ok: false, message: `--fail-on ${v}: the share must be a percentage from 0 to 10000 with at most 2 decimals (money:5, money:2.5)` };
      rules.push({ kind: 'money', percent: text, bps });
    } else return { ok: false, message: `--fail-on '${v}': expected errors, pos or money:<percent>` };
  }
  return { ok: true, rules };
}

export function gateRuleName(r: GateRule): string {
  return r.kind === 'money' ? `money:${r.percent}` : r.kind;
}

export function evaluateGate(rules: readonly GateRule[], review: Omit<Review, 'gate'>): GateResult[] {
  return rules.map((r) => {
    const rule = gateRuleName(r);
    if (r.kind === 'errors') {
      const n = review.diagnostics.new.filter((d) => d.severity === 'error').length;
      return { rule, holds: n > 0, because: n > 0 ? `${n} new error(s)` : 'no new errors' };
    }
    if (r.kind === 'pos') {
      const p = review.pos;
      if (!p) return { rule, holds: true, because: 'the POS sheet could not be compared (a side has errors)' };
      const systemChanged = p.system.before !== p.system.after;
      const holds = p.integrated && (systemChanged || p.rows.length > 0);
      return {
        rule,
        holds,
        because: !p.integrated
          ? 'no POS integration on either side (pos: none)'
          : holds
            ? [systemChanged ? `POS system ${p.system.before} -> ${p.system.after}` : null, p.rows.length ? `${p.rows.length} POS sheet row(s) change` : null].filter(Boolean).join('; ')
            : 'no POS sheet change',
      };
    }
    const m = review.money;
    if (m.notPriced) return { rule, holds: true, because: `carts not priced: ${m.notPriced}` };
    // |after - before| / before > bps / 10000, in integers; a cart whose total was 0 changes by any change at all.
    const over = m.carts.filter((c) => c.kind === 'cart' && (Math.abs(c.delta) * 10000 > r.bps * c.before.total || (c.before.total === 0 && c.delta !== 0)));
    return {
      rule,
      holds: over.length > 0,
      because: over.length ? `${over.length} sample cart(s) change by more than ${r.percent}%, largest: ${over[0].label} (${share(over[0].delta, over[0].before.total)})` : `no sample cart changes by more than ${r.percent}%`,
    };
  });
}

/** A signed share with two decimals, rounded half away from zero: "-6.25%". */
export function share(delta: number, before: number): string {
  if (before === 0) return delta === 0 ? '0%' : 'from 0';
  const hundredths = mulDivHalfUp(Math.abs(delta), 10000, before);
  const s = `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}%`;
  return delta < 0 ? `-${s}` : delta > 0 ? `+${s}` : s;
}
