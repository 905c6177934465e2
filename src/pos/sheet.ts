// The POS sheet: every discount a merchandiser must create or check in the store's POS, with the
// terms to copy (type, value, caps, schedule, code) and its POS discount ID or "missing".
// Pure: compiled ruleset in, rows out; CSV and JSON renderings for the CLI (and later the API).

import { ITEM_KEYS, type CompiledRuleset } from '../dsl/compile.js';
import { formatMoney } from '../domain/money.js';
import type { CompiledDiscount, ItemMatch, ItemSelector, NeverDiscount } from '../domain/types.js';
import { findProfile, MODE_CAPABILITIES } from './profiles.js';

export interface PosSheetRow {
  discountId: string;
  name: string;
  enabled: boolean;
  type: string;
  value: string;
  appliesTo: string;
  customer: string;
  maxDiscount: string;
  minPurchase: string;
  schedule: string;
  code: string;
  usageLimit: string;
  perCustomerLimit: string;
  /** The POS discount ID, "missing" where the POS needs one, or "not needed". */
  posDiscountId: string;
  /** What to do in the POS. */
  posAction: string;
  /** JSON only (not a CSV column): the vendor's share of the discount, or null. */
  funding?: { vendor: string; percent: number } | null;
}

export interface PosSheet {
  store: string;
  pos: { system: string; name: string; mode: string | null };
  rulesetVersion: string;
  /** Lines the store never discounts, so mirrored POS discounts can exclude the same items (JSON only). */
  neverDiscount: NeverDiscount | null;
  discounts: PosSheetRow[];
}

export const POS_SHEET_COLUMNS: (keyof PosSheetRow)[] = [
  'discountId',
  'name',
  'enabled',
  'type',
  'value',
  'appliesTo',
  'customer',
  'maxDiscount',
  'minPurchase',
  'schedule',
  'code',
  'usageLimit',
  'perCustomerLimit',
  'posDiscountId',
  'posAction',
];

export function posSheet(ruleset: CompiledRuleset): PosSheet {
  const policy = ruleset.policy;
  const profile = findProfile(policy.pos);
  const caps = profile ? MODE_CAPABILITIES[profile.mode] : null;
  const money = (m: number | null) => (m === null ? '' : formatMoney(m, policy.currency, policy.minorDigits));
  const rows = ruleset.discounts.map((d): PosSheetRow => {
    const needsId = caps !== null && caps.discountId !== 'unused';
    return {
      discountId: d.id,
      name: d.name,
      enabled: d.enabled,
      type: d.type,
      // A budget is a term of the discount: "20% off; budget $2,000.00".
      value: d.budget === undefined ? describeValue(d, money) : `${describeValue(d, money)}; budget ${money(d.budget)}`,
      funding: d.funding && { vendor: d.funding.vendor, percent: d.funding.percentBps / 100 },
      appliesTo: d.appliesTo ? describeSelector(d.appliesTo) : 'all items',
      customer:
        [d.tiers && `tiers: ${d.tiers.join(' ')}`, d.groups && `groups: ${d.groups.join(' ')}`].filter(Boolean).join('; ') ||
        (d.customerRequired ? 'identified customer' : 'anyone'),
      maxDiscount: money(d.action.maxDiscount),
      minPurchase: money(d.minPurchase),
      schedule: describeSchedule(d),
      code: d.displayCode ?? '',
      usageLimit: d.usageLimit === null ? '' : String(d.usageLimit),
      perCustomerLimit: d.perCustomerLimit === null ? '' : String(d.perCustomerLimit),
      posDiscountId: needsId ? (d.posDiscountId ?? 'missing') : 'not needed',
      posAction: !caps
        ? 'none (no POS integration)'
        : caps.action === 'apply-pos-discount'
          ? 'create in the POS and link by ID'
          : caps.action === 'trigger-reward'
            ? 'create in the POS as a reward; the engine triggers it'
            : caps.action === 'record-only'
              ? 'create in the POS for reference; redeemed by the engine'
              : 'nothing to create; the engine sends the amount',
    };
  });
  return {
    store: policy.store,
    pos: { system: profile?.id ?? 'none', name: profile?.name ?? 'No POS integration', mode: profile?.mode ?? null },
    rulesetVersion: ruleset.version,
    neverDiscount: policy.neverDiscount,
    discounts: rows,
  };
}

/** `categories: flower; brands: stiiizy; except tags: sale-shelf` (lists as written). */
function describeSelector(sel: ItemSelector): string {
  const lists = (m: ItemMatch) => ITEM_KEYS.filter((k) => m[k]).map((k) => `${k}: ${m[k]!.join(' ')}`);
  const parts = lists(sel);
  if (sel.exclude) parts.push(`except ${lists(sel.exclude).join(', ')}`);
  return parts.length ? parts.join('; ') : 'all items';
}

/**
 * The value column in words: `10% off`, `$5.00 off`, `$2.00 off each`, `set price $5.00`, `any 3 for
 * $20.00`, `3+: 10%, 5+: 15%` (tiers by units), `$100.00+: $15.00, $200.00+: $40.00` (by subtotal),
 * `buy 2 get 1 free`.
 */
function describeValue(d: CompiledDiscount, money: (m: number | null) => string): string {
  const a = d.action;
  const pct = (bps: number) => `${(bps / 100).toString()}%`;
  const units = (n: number | null | undefined) => (n == null ? '' : ` (max ${n} unit${n === 1 ? '' : 's'})`);
  if ((a.type === 'percentage' || a.type === 'fixed') && a.tiers) {
    const t = a.tiers;
    const each = a.type === 'fixed' && a.perUnit ? ' each' : '';
    const value = (v: number) => (a.type === 'percentage' ? pct(v) : `${money(v)}${each}`);
    const from = (min: number) => (t.kind === 'quantity' ? `${min}+` : `${money(min)}+`);
    return t.tiers.map((x) => `${from(x.min)}: ${value(x.value)}`).join(', ') + (a.type === 'fixed' ? units(a.maxUnits) : '');
  }
  if (a.type === 'percentage') return `${pct(a.rateBps)} off`;
  if (a.type === 'fixed') return a.perUnit ? `${money(a.amount)} off each${units(a.maxUnits)}` : `${money(a.amount)} off`;
  if (a.type === 'price') return `set price ${money(a.price)}${units(a.maxUnits)}`;
  if (a.type === 'bundle') return `any ${a.quantity} for ${money(a.price)}${a.maxApplications !== null ? ` (max ${a.maxApplications}x)` : ''}`;
  const reward = a.amountOff !== undefined ? `${money(a.amountOff)} off` : a.percentOffBps === 10000 ? 'free' : `${pct(a.percentOffBps)} off`;
  const max = a.maxApplications !== null ? ` (max ${a.maxApplications}x)` : '';
  // The reward set when it is not the buy set, so the POS copy rewards the same items (exclusions included).
  const rewardSet = a.rewardAppliesTo && JSON.stringify(a.rewardAppliesTo) !== JSON.stringify(d.appliesTo) ? `; reward: ${describeSelector(a.rewardAppliesTo)}` : '';
  return `buy ${a.buy} get ${a.get} ${reward}${max}${rewardSet}`;
}

function describeSchedule(d: CompiledDiscount): string {
  const s = d.schedule;
  if (!s) return 'always';
  const parts: string[] = [];
  if (s.start || s.end) parts.push(`${s.start ?? '...'} to ${s.end ?? '...'}`);
  if (s.days) parts.push(s.days.join(' '));
  if (s.hours) parts.push(`${s.hours.from}-${s.hours.to}`);
  return parts.join('; ');
}

export function posSheetCsv(sheet: PosSheet): string {
  const cell = (v: unknown) => {
    let s = String(v);
    // A cell a spreadsheet would run as a formula is prefixed with ' (CSV injection).
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [POS_SHEET_COLUMNS.join(',')];
  for (const row of sheet.discounts) lines.push(POS_SHEET_COLUMNS.map((c) => cell(row[c])).join(','));
  return lines.join('\r\n') + '\r\n';
}
